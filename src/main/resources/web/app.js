// The operators' page: reads and changes stock through the service's HTTP API, and polls it every
// second so that changes made elsewhere (other clients, Redis messages, other instances) show up.
'use strict';

const TOKEN_KEY = 'allocation.apiToken';
const POLL_MS = 1000;
const STATUS_MS = 2000;
const ORDER_MISS_MAX_MS = 15000;

const state = {
  sku: null,        // the SKU shown, or null
  stock: null,      // its last GET /products/{sku}/stock answer, or null when unknown
  order: null,      // the order shown, or null
  lines: null,      // its last GET /orders/{orderid} answer (each line with its batch's eta), or null
  history: [],      // its last GET /orders/{orderid}/history answer ([] when it has none)
  orderMisses: 0,   // 404s in a row for the order shown: an order with no lines is asked for less often
  orderNextAt: 0,   // when the polling next asks for it (Date.now() ms)
  flash: new Set(), // batch refs whose numbers changed at the last refresh
};

// ---------------------------------------------------------------- HTTP

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const sent = token();
  if (sent) headers.Authorization = 'Bearer ' + sent;
  let response;
  try {
    response = await fetch(path, {
      method, headers, cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    setConnection(false);
    throw new ApiError(0, 'The service does not answer.');
  }
  setConnection(true);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (e) {
    data = null;
  }
  const message = data && typeof data.message === 'string' ? data.message : 'HTTP ' + response.status;
  if (response.status === 401) {
    if (sent === token()) showUnauthorized(message); // else the token changed while this request was out
    throw new ApiError(401, message);
  }
  clearUnauthorized();
  if (!response.ok) throw new ApiError(response.status, message);
  return data;
}

const enc = encodeURIComponent;

// ---------------------------------------------------------------- DOM helpers

function $(id) {
  return document.getElementById(id);
}

/** An element with attributes (or properties: className, dataset...) and children (nodes or text). */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'className') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const number = new Intl.NumberFormat();
const fmt = (n) => number.format(n);

/** An ETA as the API writes it (ISO, year-month-day), and how far away it is. */
function formatEta(eta) {
  const date = new Date(eta + 'T00:00:00Z');
  const text = eta;
  const today = new Date();
  const days = Math.round((date - Date.UTC(today.getFullYear(), today.getMonth(), today.getDate())) / 86400000);
  const when = days === 0 ? 'today' : days === 1 ? 'tomorrow' : days > 1 ? 'in ' + days + ' days'
    : days === -1 ? 'yesterday' : -days + ' days ago';
  return { text, when };
}

function clock() {
  return clockTime(Date.now() / 1000);
}

/** A time in seconds since 1970 as the page's clocks show it: HH:MM:SS, local time. */
function clockTime(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

// ---------------------------------------------------------------- banner, token, connection

let bannerTimer = null;

/**
 * The result of the operator's last action. A success goes after 5 s; an error stays, with the time it
 * happened, until the operator closes it or the next action's result takes its place. The polling
 * never touches it: a card that cannot be read says so itself.
 */
function banner(kind, text) {
  const node = $('banner');
  node.className = 'banner ' + kind;
  $('banner-text').textContent = kind === 'error' ? clock() + ' · ' + text : text;
  node.hidden = false;
  clearTimeout(bannerTimer);
  if (kind === 'ok') bannerTimer = setTimeout(() => { node.hidden = true; }, 5000);
}

function hideBanner(kind) {
  const node = $('banner');
  if (!kind || node.classList.contains(kind)) node.hidden = true;
}

function showUnauthorized(message) {
  const node = $('banner');
  const had = !node.hidden && node.classList.contains('auth');
  node.className = 'banner auth';
  $('banner-text').replaceChildren(
    el('strong', {}, token() ? 'The API token was refused. ' : 'This service needs an API token. '),
    'Enter it in the API token field below the header to see and change stock. ',
    el('span', { className: 'detail' }, '(401: ' + message + ')'));
  node.hidden = false;
  if (!had) openTokenForm(true);
}

function clearUnauthorized() {
  hideBanner('auth');
}

function openTokenForm(open) {
  $('token-form').hidden = !open;
  $('token-toggle').textContent = token() ? 'API token ✓' : 'API token';
  $('token-toggle').setAttribute('aria-expanded', String(open));
  if (open) $('token-input').focus();
}

function setConnection(up) {
  const node = $('connection');
  node.className = 'connection ' + (up ? 'up' : 'down');
  node.textContent = up ? 'live · ' + clock() : 'service not answering · ' + clock();
}

// ---------------------------------------------------------------- health

function chip(id, level, value) {
  const node = $(id);
  node.className = 'chip ' + level;
  node.querySelector('b').textContent = value;
}

async function refreshStatus() {
  let status;
  try {
    status = await api('GET', '/status');
  } catch (e) {
    for (const id of ['health-database', 'health-redis', 'health-backlog', 'health-parked', 'health-dead-letters']) {
      chip(id, 'unknown', '?');
    }
    if (e.status === 0) chip('health-database', 'bad', 'no answer');
    return;
  }
  chip('health-database', status.database === 'UP' ? 'good' : 'bad', status.database === 'UP' ? 'up' : 'down');
  if (status.redis === 'NOT_CONFIGURED') chip('health-redis', 'off', 'not configured');
  else if (status.redis !== 'UP') chip('health-redis', 'bad', 'down');
  else if (!status.redis_replicas || status.redis_replicas.confirmed === null) chip('health-redis', 'good', 'up');
  else {
    const { confirmed, wanted } = status.redis_replicas;
    chip('health-redis', confirmed < wanted ? 'warn' : 'good', 'up, ' + confirmed + ' of ' + wanted + ' replicas');
  }
  const count = (n) => (n === null || n === undefined ? '?' : fmt(n));
  const backlog = status.outbox_backlog;
  chip('health-backlog', backlog === null ? 'unknown' : backlog > 1000 ? 'bad' : backlog > 100 ? 'warn' : 'good',
    backlog === null ? '?' : count(backlog) + ' waiting');
  const parked = status.outbox_parked;
  chip('health-parked', parked === null ? 'unknown' : parked > 0 ? 'bad' : 'good', count(parked));
  const dead = status.dead_letters;
  chip('health-dead-letters', dead === null || dead === undefined ? (status.redis === 'NOT_CONFIGURED' ? 'off' : 'unknown')
    : dead > 0 ? 'warn' : 'good', status.redis === 'NOT_CONFIGURED' ? 'n/a' : count(dead));
}

// ---------------------------------------------------------------- a SKU's stock

async function refreshSku() {
  const sku = state.sku;
  if (sku === null) return;
  let stock;
  try {
    stock = await api('GET', '/products/' + enc(sku) + '/stock');
  } catch (e) {
    if (state.sku !== sku) return;
    if (e.status === 404) {
      state.stock = null;
      renderUnknownSku(sku);
    } else {
      readFailed('sku-card', el('h2', {}, 'SKU ', el('span', { className: 'mono' }, sku)), state.stock !== null, e);
    }
    return;
  }
  if (state.sku !== sku) return;
  if (typingIn('sku-card')) return; // keep the field someone is typing in; the next round shows the change
  if (state.stock && JSON.stringify(state.stock) === JSON.stringify(stock)) {
    touch('sku-card');
    return;
  }
  state.flash = changedBatches(state.stock, stock);
  state.stock = stock;
  renderStock();
}

function typingIn(cardId) {
  const focused = document.activeElement;
  return focused !== null && focused.matches('input') && $(cardId).contains(focused);
}

/** Nothing changed: only the card's "updated" time moves, and a failed read's notice goes. */
function touch(cardId) {
  const updated = $(cardId).querySelector('.updated');
  if (updated) updated.textContent = 'updated ' + clock();
  $(cardId).querySelector('.problem')?.remove();
}

/**
 * A card's read failed: the card says why (the server's own message for any 4xx or 5xx), above what
 * it last showed if it has anything, else in its place. The next read that succeeds removes it.
 */
function readFailed(cardId, heading, hasData, e) {
  const card = $(cardId);
  const problem = el('p', { className: 'problem', dataset: { status: e.status } }, problemText(e));
  if (!hasData) {
    card.replaceChildren(el('div', { className: 'card-head' }, heading), problem);
    return;
  }
  problem.prepend(el('strong', {}, 'Not updated since ' + (card.querySelector('.updated')?.textContent.replace('updated ', '') || 'the last read') + '. '));
  const old = card.querySelector('.problem');
  if (old) old.replaceWith(problem);
  else card.querySelector('.card-head').after(problem);
}

function problemText(e) {
  if (e.status === 0) return 'The service does not answer; the page tries again every second.';
  if (e.status === 401) {
    return (token() ? 'The API token was refused: ' : 'This service needs an API token: ')
      + 'enter it in the API token field at the top of the page. (401: ' + e.message + ')';
  }
  if (e.status === 403) return 'This token may not read this (403): ' + e.message;
  return 'The service answered ' + e.status + ': ' + e.message;
}

function changedBatches(before, after) {
  const changed = new Set();
  if (!before || before.sku !== after.sku) return changed;
  const old = new Map(before.batches.map((b) => [b.ref, b]));
  for (const b of after.batches) {
    const o = old.get(b.ref);
    if (!o || o.allocated !== b.allocated || o.purchased !== b.purchased) changed.add(b.ref);
  }
  return changed;
}

function renderUnknownSku(sku) {
  $('sku-card').replaceChildren(
    el('div', { className: 'card-head' }, el('h2', {}, 'SKU ', el('span', { className: 'mono' }, sku))),
    el('p', { className: 'notice' }, 'No batch of this SKU yet. Add its first batch with the form on the right.'));
  const form = $('add-batch-form');
  if (!form.elements.sku.value) form.elements.sku.value = sku;
}

function renderStock() {
  const s = state.stock;
  const backordered = s.backorder.reduce((sum, line) => sum + line.qty, 0);
  $('sku-card').replaceChildren(
    el('div', { className: 'card-head' },
      el('h2', {}, 'SKU ', el('span', { className: 'mono' }, s.sku)),
      el('span', { className: 'updated' }, 'updated ' + clock())),
    el('div', { className: 'totals' },
      total('Warehouse', s.warehouse, 'in stock'),
      total('Incoming', s.incoming, 'on the way'),
      el('div', { className: 'total' + (s.backorder.length ? ' alert' : '') },
        el('div', { className: 'total-label' }, 'Backorders'),
        el('div', { className: 'total-main' }, fmt(backordered), el('small', {}, backordered === 1 ? ' unit' : ' units')),
        el('div', { className: 'total-sub' }, s.backorder.length === 1 ? '1 line waiting for stock'
          : fmt(s.backorder.length) + ' lines waiting for stock'))),
    el('h3', {}, 'Batches ', el('span', { className: 'legend' },
      el('span', { className: 'key allocated' }), 'allocated ',
      el('span', { className: 'key available' }), 'available')),
    batchesTable(s.batches),
    el('h3', {}, 'Backorders'),
    s.backorder.length === 0
      ? el('p', { className: 'muted' }, 'None: every order line of this SKU is on a batch.')
      : el('table', { className: 'grid backorders' },
        el('thead', {}, el('tr', {}, el('th', {}, 'Order'), el('th', { className: 'num' }, 'Quantity'), el('th', {}, ''))),
        el('tbody', {}, s.backorder.map((line) => el('tr', { dataset: { order: line.orderid } },
          el('td', {}, orderLink(line.orderid)),
          el('td', { className: 'num' }, fmt(line.qty)),
          el('td', {}, el('span', { className: 'badge bad' }, 'waiting for stock')))))));
}

function total(label, t, sub) {
  return el('div', { className: 'total' },
    el('div', { className: 'total-label' }, label),
    el('div', { className: 'total-main' }, fmt(t.available), el('small', {}, ' available')),
    el('div', { className: 'total-sub' }, fmt(t.purchased) + ' ' + sub + ', ' + fmt(t.allocated) + ' allocated'));
}

function batchesTable(batches) {
  if (batches.length === 0) return el('p', { className: 'muted' }, 'No batches.');
  const largest = Math.max(1, ...batches.map((b) => b.purchased));
  return el('table', { className: 'grid batches' },
    el('thead', {}, el('tr', {},
      el('th', {}, 'Batch'), el('th', {}, 'Where'), el('th', { className: 'bar-col' }, 'Allocated and available'),
      el('th', { className: 'num' }, 'Quantity'), el('th', {}, 'Change quantity'))),
    el('tbody', {}, batches.map((b) => batchRow(b, largest))));
}

function batchRow(b, largest) {
  const bar = el('div', { className: 'bar', role: 'img',
    'aria-label': b.allocated + ' allocated, ' + b.available + ' available' });
  bar.style.width = Math.max(8, (100 * b.purchased) / largest) + '%';
  if (b.purchased > 0) {
    const allocated = el('div', { className: 'seg allocated' });
    allocated.style.width = (100 * b.allocated) / b.purchased + '%';
    const available = el('div', { className: 'seg available' });
    available.style.width = (100 * b.available) / b.purchased + '%';
    bar.append(allocated, available);
  } else {
    bar.classList.add('empty-bar');
  }
  const where = b.eta === null
    ? el('td', {}, el('span', { className: 'badge warehouse' }, 'Warehouse'))
    : (() => {
      const eta = formatEta(b.eta);
      return el('td', {}, el('span', { className: 'badge ship' }, 'Arrives ' + eta.text), el('div', { className: 'muted small' }, eta.when));
    })();
  const form = el('form', { className: 'inline', onsubmit: (event) => changeQuantity(event, b.ref) },
    el('input', { name: 'qty', type: 'number', min: '0', step: '1', required: true, value: b.purchased,
      'aria-label': 'New quantity of ' + b.ref }),
    el('button', { type: 'submit', className: 'secondary' }, 'Set'));
  return el('tr', { dataset: { batch: b.ref }, className: state.flash.has(b.ref) ? 'flash' : null },
    el('td', { className: 'mono' }, b.ref),
    where,
    el('td', { className: 'bar-col' }, bar,
      el('div', { className: 'bar-text' },
        el('span', { className: 'allocated-text' }, fmt(b.allocated) + ' allocated'), ' · ',
        el('span', { className: 'available-text' }, fmt(b.available) + ' available'))),
    el('td', { className: 'num strong' }, fmt(b.purchased)),
    el('td', {}, form));
}

function orderLink(orderid) {
  return el('a', { href: '#', className: 'mono', onclick: (event) => { event.preventDefault(); showOrder(orderid); } }, orderid);
}

function skuLink(sku) {
  return el('a', { href: '#', className: 'mono', onclick: (event) => { event.preventDefault(); showSku(sku); } }, sku);
}

// ---------------------------------------------------------------- an order

/**
 * The order's lines. An order with none is a 404: the polling asks again after 2, 4 and 8 seconds,
 * then every 15 (ORDER_MISS_MAX_MS); the page's own actions and "Show order" ask at once ({@code now}).
 */
async function refreshOrder(now) {
  const order = state.order;
  if (order === null) return;
  if (!now && Date.now() < state.orderNextAt) return;
  let lines;
  const history = orderHistory(order);
  try {
    lines = await api('GET', '/orders/' + enc(order));
  } catch (e) {
    if (state.order !== order) return;
    if (e.status === 404) {
      state.orderMisses++;
      state.orderNextAt = Date.now() + Math.min(ORDER_MISS_MAX_MS, 1000 * 2 ** state.orderMisses);
      state.lines = null;
      state.history = await history;
      if (state.order !== order) return;
      renderUnknownOrder(order);
    } else {
      readFailed('order-card', el('h2', {}, 'Order ', el('span', { className: 'mono' }, order)), state.lines !== null, e);
    }
    return;
  }
  if (state.order !== order) return;
  state.orderMisses = 0;
  state.orderNextAt = 0;
  // where each batch is: the stock of each SKU of the order names its batches' ETAs
  const etas = new Map();
  await Promise.all([...new Set(lines.map((l) => l.sku))].map(async (sku) => {
    try {
      const stock = sku === state.sku && state.stock ? state.stock : await api('GET', '/products/' + enc(sku) + '/stock');
      for (const b of stock.batches) etas.set(sku + '\u0000' + b.ref, b.eta);
    } catch (e) {
      // the line still shows its batch, without where it is
    }
  }));
  const entries = await history;
  if (state.order !== order) return;
  const next = lines.map((l) => ({ ...l, eta: etas.get(l.sku + '\u0000' + l.batchref) }));
  if (state.lines && JSON.stringify(state.lines) === JSON.stringify(next)
      && JSON.stringify(state.history) === JSON.stringify(entries)) {
    touch('order-card');
    return;
  }
  state.lines = next;
  state.history = entries;
  renderOrder();
}

/** The order's history; [] when it has none (404), the last one shown when it cannot be read now. */
async function orderHistory(order) {
  try {
    return await api('GET', '/orders/' + enc(order) + '/history');
  } catch (e) {
    return e.status === 404 ? [] : state.history;
  }
}

/** What happened to the order's lines, oldest first: what, why, and who or what sent the command (nodes to spread). */
function historySection() {
  if (state.history.length === 0) return [];
  const what = (h) => ({
    allocated: ['good', 'Allocated', ' to '],
    moved: ['warn', 'Moved', ' to '],
    backordered: ['bad', 'Backordered', ''],
    placed: ['good', 'Placed', ' on '],
    deallocated: ['quiet', 'Deallocated', ''],
  })[h.kind] || ['quiet', h.kind, ' '];
  const why = (h) => {
    switch (h.cause) {
      case 'allocate': return h.cause_ref === state.order ? 'the order asked' : 'order ' + h.cause_ref + ' allocated';
      case 'deallocate': return h.cause_ref === state.order ? 'the line was cancelled'
        : 'order ' + h.cause_ref + ' cancelled, freeing stock';
      case 'add_batch': return 'batch ' + h.cause_ref + ' added';
      case 'change_batch_quantity': return 'batch ' + h.cause_ref + ' changed quantity'
        + (h.cause_key === null ? '' : h.source === 'stream' ? '' : ' (seq ' + h.cause_key + ')');
      default: return h.cause + ' ' + h.cause_ref;
    }
  };
  const by = (h) => ({
    http: h.source_id === null ? 'HTTP' : 'HTTP, token ' + h.source_id,
    stream: 'Redis stream, entry ' + h.source_id,
    pubsub: h.source_id === null ? 'Redis pub/sub' : 'Redis pub/sub, message ' + h.source_id,
    internal: 'the service',
  })[h.source] || h.source;
  return [
    el('h3', {}, 'History'),
    el('table', { className: 'grid history' },
      el('thead', {}, el('tr', {}, el('th', {}, 'When'), el('th', {}, 'SKU'), el('th', {}, 'What'), el('th', {}, 'Why'))),
      el('tbody', {}, state.history.map((h) => {
        const [tone, label, to] = what(h);
        return el('tr', { dataset: { kind: h.kind, sku: h.sku } },
          el('td', { className: 'small', title: h.at }, new Date(h.at).toLocaleString(undefined,
            { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })),
          el('td', {}, el('span', { className: 'mono' }, h.sku)),
          el('td', {}, el('span', { className: 'badge ' + tone }, label),
            h.batchref === null ? '' : [to, el('span', { className: 'mono' }, h.batchref)]),
          el('td', {}, why(h), el('div', { className: 'muted small' }, by(h))));
      }))),
  ];
}

function renderUnknownOrder(order) {
  $('order-card').replaceChildren(
    el('div', { className: 'card-head' }, el('h2', {}, 'Order ', el('span', { className: 'mono' }, order))),
    el('p', { className: 'notice' }, 'No lines: this order was never placed, or every line was cancelled. '
      + 'Checked again at least every ' + ORDER_MISS_MAX_MS / 1000 + ' seconds, or at once with "Show order".'),
    ...historySection());
}

function renderOrder() {
  $('order-card').replaceChildren(
    el('div', { className: 'card-head' },
      el('h2', {}, 'Order ', el('span', { className: 'mono' }, state.order)),
      el('span', { className: 'updated' }, 'updated ' + clock())),
    el('table', { className: 'grid lines' },
      el('thead', {}, el('tr', {}, el('th', {}, 'SKU'), el('th', { className: 'num' }, 'Qty'), el('th', {}, 'Where'), el('th', {}, ''))),
      el('tbody', {}, state.lines.map((l) => el('tr', { dataset: { sku: l.sku, status: l.status } },
        el('td', {}, skuLink(l.sku)),
        el('td', { className: 'num strong' }, fmt(l.qty)),
        el('td', {}, l.status === 'allocated'
          ? [el('span', { className: 'badge good' }, 'Allocated'), ' ', el('span', { className: 'mono' }, l.batchref),
            el('div', { className: 'muted small' }, l.eta === undefined ? '' : l.eta === null ? 'in the warehouse'
              : 'arrives ' + formatEta(l.eta).text)]
          : [el('span', { className: 'badge bad' }, 'Backordered'), el('div', { className: 'muted small' }, 'waiting for stock')]),
        el('td', {}, el('button', { type: 'button', className: 'danger', onclick: () => cancelLine(state.order, l.sku) },
          'Cancel line')))))),
    ...historySection());
}

// ---------------------------------------------------------------- actions

async function changeQuantity(event, ref) {
  event.preventDefault();
  const qty = Number(event.target.elements.qty.value);
  event.target.elements.qty.blur();
  const waitingBefore = state.stock ? state.stock.backorder.length : 0;
  let answer;
  try {
    answer = await api('POST', '/change_batch_quantity', { ref, qty });
  } catch (e) {
    if (e.status !== 401) banner('error', 'Changing ' + ref + ': ' + e.message);
    await refreshNow();
    return;
  }
  await refreshNow();
  if (answer.message !== 'OK') {
    banner('ok', answer.message);
    return;
  }
  const waiting = (state.stock ? state.stock.backorder.length : 0) - waitingBefore;
  banner('ok', 'Batch ' + ref + ' now holds ' + fmt(qty) + '.'
    + (waiting === 1 ? ' 1 more line waits for stock.' : waiting > 1 ? ' ' + waiting + ' more lines wait for stock.' : ''));
}

async function addBatch(event) {
  event.preventDefault();
  const form = event.target;
  const batch = {
    ref: form.elements.ref.value.trim(),
    sku: form.elements.sku.value.trim(),
    qty: Number(form.elements.qty.value),
    eta: form.elements.eta.value.trim() || null,
  };
  try {
    await api('POST', '/add_batch', batch);
  } catch (e) {
    if (e.status !== 401) banner('error', 'Adding batch ' + batch.ref + ': ' + e.message);
    return;
  }
  banner('ok', 'Batch ' + batch.ref + ' added: ' + fmt(batch.qty) + ' of ' + batch.sku
    + (batch.eta ? ', arriving ' + formatEta(batch.eta).text : ', in the warehouse') + '.');
  form.elements.ref.value = '';
  form.elements.qty.value = '';
  form.elements.eta.value = '';
  if (state.sku !== batch.sku) showSku(batch.sku);
  else await refreshNow();
}

async function cancelLine(order, sku) {
  if (!window.confirm('Cancel the line of ' + sku + ' in order ' + order + '? Its stock goes back to the batch.')) return;
  try {
    await api('POST', '/deallocate', { orderid: order, sku });
    banner('ok', 'Line ' + sku + ' of order ' + order + ' cancelled.');
  } catch (e) {
    if (e.status !== 401) banner('error', 'Cancelling ' + sku + ' of ' + order + ': ' + e.message);
  }
  await refreshNow();
}

/** The pattern checks the shape (YYYY-MM-DD); this, that it is a day of the calendar (not 2031-02-30). */
function checkIsoDate(input) {
  const value = input.value.trim();
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(value + 'T00:00:00Z') : null;
  const real = day !== null && !Number.isNaN(day.getTime()) && day.toISOString().startsWith(value);
  input.setCustomValidity(value === '' || real || day === null ? '' : value + ' is not a day of the calendar.');
}

// ---------------------------------------------------------------- overview

// The overview of all stock (GET /products), sorted with the SKUs that need attention first. "More"
// appends the next page; the polling re-reads as many rows as are shown (up to 500) from the start.
const OVERVIEW_MS = 5000;
const OVERVIEW_PAGE = 50;

const overview = {
  filter: 'all',  // 'all' or 'short'
  rows: [],       // the rows shown
  next: null,     // next_cursor of the last page read, or null
};

async function refreshOverview() {
  const filter = overview.filter;
  const limit = Math.min(500, Math.max(OVERVIEW_PAGE, overview.rows.length));
  let page;
  try {
    page = await api('GET', '/products?filter=' + filter + '&limit=' + limit);
  } catch (e) {
    if (overview.filter === filter) {
      readFailed('overview-card', el('h2', {}, 'All stock'), overview.rows.length > 0, e);
    }
    return;
  }
  if (overview.filter !== filter) return;
  $('overview-card').querySelector('.problem')?.remove();
  if (JSON.stringify(page.products) === JSON.stringify(overview.rows) && page.next_cursor === overview.next) return;
  overview.rows = page.products;
  overview.next = page.next_cursor;
  renderOverview();
}

async function moreOverview() {
  const filter = overview.filter;
  const cursor = overview.next;
  if (cursor === null) return;
  let page;
  try {
    page = await api('GET', '/products?filter=' + filter + '&limit=' + OVERVIEW_PAGE + '&cursor=' + enc(cursor));
  } catch (e) {
    banner('error', 'Could not read more SKUs: ' + problemText(e));
    return;
  }
  if (overview.filter !== filter || overview.next !== cursor) return;
  overview.rows = overview.rows.concat(page.products);
  overview.next = page.next_cursor;
  renderOverview();
}

function setOverviewFilter(filter) {
  overview.filter = filter;
  overview.rows = [];
  overview.next = null;
  $('overview-all').setAttribute('aria-pressed', String(filter === 'all'));
  $('overview-short').setAttribute('aria-pressed', String(filter === 'short'));
  $('overview-body').replaceChildren(el('p', { className: 'muted' }, 'Loading…'));
  $('overview-more').hidden = true;
  refreshOverview();
}

function renderOverview() {
  const rows = overview.rows;
  $('overview-more').hidden = overview.next === null;
  if (rows.length === 0) {
    $('overview-body').replaceChildren(el('p', { className: 'notice' }, overview.filter === 'short'
      ? 'Nothing needs attention: no backorders, and every SKU has 10 or more in the warehouse.'
      : 'No SKUs yet. Add a first batch with the form below.'));
    return;
  }
  $('overview-body').replaceChildren(
    el('table', { className: 'grid products' },
      el('thead', {}, el('tr', {},
        el('th', {}, 'SKU'), el('th', { className: 'num' }, 'Warehouse'), el('th', { className: 'num' }, 'Incoming'),
        el('th', { className: 'num' }, 'Allocated'), el('th', { className: 'num' }, 'Backordered'),
        el('th', {}, 'Next arrival'), el('th', {}, ''))),
      el('tbody', {}, rows.map(overviewRow))),
    el('p', { className: 'muted small' }, fmt(rows.length) + (rows.length === 1 ? ' SKU' : ' SKUs') + ' shown'
      + (overview.next === null ? '' : '; more below') + ' · updated ' + clock()));
}

function overviewRow(p) {
  const backordered = p.backordered.lines === 0 ? '–'
    : fmt(p.backordered.qty) + (p.backordered.lines === 1 ? ' (1 line)' : ' (' + fmt(p.backordered.lines) + ' lines)');
  const why = p.backordered.lines > 0 ? ['bad', 'backordered'] : p.warehouse === 0 ? ['bad', 'none in warehouse']
    : p.attention ? ['warn', 'low'] : ['good', 'ok'];
  return el('tr', { dataset: { sku: p.sku }, className: p.attention ? 'attention' : null },
    el('td', { 'data-label': 'SKU' }, el('a', { href: '#', className: 'mono', onclick: (event) => {
      event.preventDefault();
      showSku(p.sku);
      $('sku-card').scrollIntoView({ behavior: 'smooth', block: 'start' });
    } }, p.sku)),
    el('td', { className: 'num', 'data-label': 'Warehouse' }, fmt(p.warehouse)),
    el('td', { className: 'num', 'data-label': 'Incoming' }, fmt(p.incoming)),
    el('td', { className: 'num', 'data-label': 'Allocated' }, fmt(p.allocated)),
    el('td', { className: 'num' + (p.backordered.lines > 0 ? ' bad-text' : ''), 'data-label': 'Backordered' }, backordered),
    el('td', { 'data-label': 'Next arrival' }, p.next_eta === null ? '–' : p.next_eta + ' (' + formatEta(p.next_eta).when + ')'),
    el('td', {}, el('span', { className: 'badge ' + why[0] }, why[1])));
}

document.addEventListener('DOMContentLoaded', () => {
  $('overview-all').addEventListener('click', () => setOverviewFilter('all'));
  $('overview-short').addEventListener('click', () => setOverviewFilter('short'));
  $('overview-more').addEventListener('click', moreOverview);
  every(OVERVIEW_MS, refreshOverview);
});

// ---------------------------------------------------------------- navigation and polling

function showSku(sku) {
  state.sku = sku;
  state.stock = null;
  $('sku-input').value = sku;
  $('add-batch-form').elements.sku.value = sku;
  $('sku-card').replaceChildren(el('p', { className: 'muted' }, 'Loading ' + sku + '…'));
  saveLocation();
  refreshSku();
}

function showOrder(order) {
  state.order = order;
  state.lines = null;
  state.history = [];
  state.orderMisses = 0;
  $('order-input').value = order;
  $('order-card').replaceChildren(el('p', { className: 'muted' }, 'Loading order ' + order + '…'));
  saveLocation();
  refreshOrder(true);
}

function saveLocation() {
  const params = new URLSearchParams();
  if (state.sku) params.set('sku', state.sku);
  if (state.order) params.set('order', state.order);
  history.replaceState(null, '', '#' + params.toString());
}

async function refreshNow() {
  await Promise.all([refreshSku(), refreshOrder(true), refreshStatus()]);
}

/** Runs work now, then every ms (a number, or a function asked each round) while the tab is visible. */
function every(ms, work) {
  const round = async () => {
    try {
      if (!document.hidden) await work();
    } finally {
      setTimeout(round, typeof ms === 'function' ? ms() : ms);
    }
  };
  round();
}

document.addEventListener('DOMContentLoaded', () => {
  $('sku-form').addEventListener('submit', (event) => {
    event.preventDefault();
    showSku($('sku-input').value.trim());
  });
  $('order-form').addEventListener('submit', (event) => {
    event.preventDefault();
    showOrder($('order-input').value.trim());
  });
  $('add-batch-form').addEventListener('submit', addBatch);
  $('add-batch-form').elements.eta.addEventListener('input', (event) => checkIsoDate(event.target));
  $('banner-close').addEventListener('click', () => {
    clearTimeout(bannerTimer);
    $('banner').hidden = true;
  });
  openTokenForm(false);
  $('token-toggle').addEventListener('click', () => openTokenForm($('token-form').hidden));
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('token-input').value.trim());
    $('token-input').value = '';
    openTokenForm(false);
    banner('ok', 'Token saved for this tab.');
    refreshNow();
  });
  $('token-forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    $('token-input').value = '';
    banner('ok', 'Token forgotten.');
    refreshNow();
  });

  const params = new URLSearchParams(location.hash.slice(1));
  if (params.get('sku')) showSku(params.get('sku'));
  if (params.get('order')) showOrder(params.get('order'));

  every(POLL_MS, () => Promise.all([refreshSku(), refreshOrder()]));
  every(STATUS_MS, refreshStatus);
});

// ---- dead letters and parked rows
// The "Problems" section: dead letters (GET /dead-letters) and parked outbox rows (GET /parked), each
// with its error, source and age; one shown in full; replay or discard (with a reason) buttons; and
// the recent operator actions. All of it needs a token with the scope "operate".

const PROBLEMS_MS = 3000;
const problems = { chosen: null }; // the item shown in full: { kind: 'dead-letter' | 'parked', id }

function age(seconds) {
  if (seconds < 60) return Math.max(0, Math.round(seconds)) + ' s';
  if (seconds < 3600) return Math.round(seconds / 60) + ' min';
  if (seconds < 172800) return Math.round(seconds / 3600) + ' h';
  return Math.round(seconds / 86400) + ' days';
}

function secondsSince(iso) {
  return (Date.now() - Date.parse(iso)) / 1000;
}

async function refreshProblems() {
  const [letters, parked, actions] = await Promise.allSettled([
    api('GET', '/dead-letters?limit=50'), api('GET', '/parked?limit=50'), api('GET', '/operator-actions?limit=10')]);
  const notes = [];
  for (const result of [letters, parked, actions]) {
    if (result.status === 'rejected' && result.reason.status !== 503) notes.push(result.reason.message);
  }
  const note = $('problems-note');
  note.textContent = notes.length ? 'Cannot read them: ' + [...new Set(notes)].join(' · ') : '';
  note.hidden = notes.length === 0;
  renderDeadLetters(letters);
  renderParked(parked);
  if (problems.chosen && !document.querySelector('.problem-item.chosen')) {
    // replayed or discarded, here or by another operator: no longer shown in full
    problems.chosen = null;
    $('problem-detail').hidden = true;
  }
  if (actions.status === 'fulfilled') renderActions(actions.value.items);
  $('problems-updated').textContent = 'Updated ' + clock();
}

function renderDeadLetters(result) {
  const list = $('dead-letters');
  if (result.status === 'rejected') {
    list.replaceChildren(result.reason.status === 503 ? el('li', { className: 'muted' }, result.reason.message) : '');
    $('dead-letters-count').textContent = '';
    $('dead-letters-replay-all').hidden = true;
    return;
  }
  const items = result.value.items;
  $('dead-letters-count').textContent = '(' + items.length + (result.value.next ? '+' : '') + ')';
  $('dead-letters-replay-all').hidden = items.length === 0;
  list.replaceChildren(...(items.length ? items.map((d) => problemItem('dead-letter', d.id, d.error,
    'from ' + (d.source || '?') + (d.original_id ? ' ' + d.original_id : '') + ' · ' + age(d.age_seconds) + ' ago',
    d)) : [el('li', { className: 'muted' }, 'None.')]));
}

function renderParked(result) {
  const list = $('parked');
  if (result.status === 'rejected') {
    list.replaceChildren();
    $('parked-count').textContent = '';
    $('parked-replay-all').hidden = true;
    return;
  }
  const items = result.value.items;
  $('parked-count').textContent = '(' + items.length + (result.value.next ? '+' : '') + ')';
  $('parked-replay-all').hidden = items.length === 0;
  list.replaceChildren(...(items.length ? items.map((p) => problemItem('parked', String(p.id), p.error,
    p.type + ' of ' + p.sku + ' to ' + p.destination + ' · ' + p.attempts + ' attempts · '
      + age(secondsSince(p.parked_at)) + ' ago', p)) : [el('li', { className: 'muted' }, 'None.')]));
}

function problemItem(kind, id, error, meta, full) {
  const chosen = problems.chosen && problems.chosen.kind === kind && problems.chosen.id === id;
  if (chosen) showProblem(kind, full);
  return el('li', { className: 'problem-item' + (chosen ? ' chosen' : ''), dataset: { kind, id } },
    el('div', { className: 'problem-error' }, error || '(no error given)'),
    el('div', { className: 'problem-meta' }, (kind === 'parked' ? 'row ' : 'entry ') + id + ' · ' + meta),
    el('div', { className: 'problem-buttons' },
      el('button', { type: 'button', className: 'secondary', onclick: () => choose(kind, id, full) }, 'Show'),
      el('button', { type: 'button', onclick: () => replay(kind, id) }, 'Replay'),
      el('button', { type: 'button', className: 'danger', onclick: () => discard(kind, id) }, 'Discard…')));
}

function choose(kind, id, full) {
  problems.chosen = { kind, id };
  showProblem(kind, full);
  for (const item of document.querySelectorAll('.problem-item')) {
    item.classList.toggle('chosen', item.dataset.kind === kind && item.dataset.id === id);
  }
}

function showProblem(kind, full) {
  const detail = $('problem-detail');
  const body = kind === 'dead-letter' ? full.data : full.payload;
  let pretty = body;
  try {
    pretty = JSON.stringify(JSON.parse(body), null, 2);
  } catch (e) {
    // not JSON (that may be why it is a dead letter): shown as received
  }
  const fields = Object.entries(full).filter(([key]) => key !== 'data' && key !== 'payload')
    .map(([key, value]) => key + ': ' + (value === null ? '—' : value)).join('\n');
  detail.replaceChildren(
    el('div', { className: 'card-head' }, el('strong', {}, (kind === 'parked' ? 'Parked row ' : 'Dead letter ') + full.id),
      el('button', { type: 'button', className: 'secondary', onclick: () => { problems.chosen = null; detail.hidden = true; } },
        'Close')),
    el('pre', { className: 'mono' }, fields),
    el('div', { className: 'problem-meta' }, kind === 'parked' ? 'Payload' : 'Message as received'),
    el('pre', { className: 'mono' }, pretty));
  detail.hidden = false;
}

function problemPath(kind, id) {
  return (kind === 'parked' ? '/parked/' : '/dead-letters/') + enc(id);
}

async function replay(kind, id) {
  try {
    await api('POST', problemPath(kind, id) + '/replay');
    banner('ok', (kind === 'parked' ? 'Parked row ' : 'Dead letter ') + id + ' replayed.');
  } catch (e) {
    banner('error', 'Replay of ' + id + ' failed: ' + e.message);
  }
  refreshProblems();
}

async function discard(kind, id) {
  const reason = window.prompt('Discard ' + id + ' for good? Say why (it is recorded):', '');
  if (reason === null) return;
  if (!reason.trim()) {
    banner('error', 'Not discarded: a reason is needed.');
    return;
  }
  try {
    await api('POST', problemPath(kind, id) + '/discard', { reason: reason.trim() });
    banner('ok', (kind === 'parked' ? 'Parked row ' : 'Dead letter ') + id + ' discarded.');
  } catch (e) {
    banner('error', 'Discard of ' + id + ' failed: ' + e.message);
  }
  refreshProblems();
}

async function replayAll(kind) {
  const what = kind === 'parked' ? 'parked outbox rows' : 'dead letters';
  if (!window.confirm('Replay all ' + what + '?')) return;
  try {
    const done = await api('POST', (kind === 'parked' ? '/parked' : '/dead-letters') + '/replay');
    banner('ok', done.replayed + ' ' + what + ' replayed.');
  } catch (e) {
    banner('error', 'Replay of all ' + what + ' failed: ' + e.message);
  }
  refreshProblems();
}

/** YYYY-MM-DD HH:MM:SS in the browser's time zone: dates as the API writes them, whatever the locale. */
function isoLocal(d) {
  const p = (n) => String(n).padStart(2, '0');
  return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' '
    + p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());
}

function renderActions(items) {
  $('operator-actions').replaceChildren(...(items.length ? items.map((a) => el('li', {},
    el('span', { className: 'mono' }, isoLocal(new Date(a.at))), ' · ',
    el('strong', {}, a.who), ' ', a.action.replace('_', ' '), ' ', a.kind.replace('_', ' '),
    a.target_id ? ' ' + a.target_id : ' (' + a.affected + ')',
    a.reason ? el('span', { className: 'muted' }, ' — “' + a.reason + '”') : ''))
    : [el('li', { className: 'muted' }, 'No action yet.')]));
}

document.addEventListener('DOMContentLoaded', () => {
  $('dead-letters-replay-all').addEventListener('click', () => replayAll('dead-letter'));
  $('parked-replay-all').addEventListener('click', () => replayAll('parked'));
  for (const id of ['health-parked', 'health-dead-letters']) {
    $(id).addEventListener('click', () => $('problems').scrollIntoView({ behavior: 'smooth' }));
  }
  every(PROBLEMS_MS, refreshProblems);
});

// ---- live charts
// This instance's last hour (GET /status/history: one sample every ALLOCATION_CHART_INTERVAL_SECONDS, the
// figures read by the service's own sampler, never by this request), drawn by uPlot (served from the
// jar). Asked for once per sampling interval; a null value is a gap in its line.

const CHARTS = [
  { id: 'chart-allocations', series: [
    { key: 'allocations_per_second', label: 'allocated /s', stroke: '#2f6fdf' },
    { key: 'out_of_stock_per_second', label: 'out of stock /s', stroke: '#c62f2f' }] },
  { id: 'chart-latency', series: [
    { key: 'allocate_p50_ms', label: 'p50 ms', stroke: '#1f8a52' },
    { key: 'allocate_p99_ms', label: 'p99 ms', stroke: '#b26a00' }] },
  { id: 'chart-outbox', series: [
    { key: 'outbox_backlog', label: 'backlog', stroke: '#2357c6' },
    { key: 'outbox_parked', label: 'parked', stroke: '#c62f2f' }] },
  { id: 'chart-stream', series: [
    { key: 'stream_lag', label: 'stream lag', stroke: '#2357c6' },
    { key: 'dead_letters', label: 'dead letters', stroke: '#b26a00' }] },
];
const CHART_HEIGHT = 150;
const charts = { pollMs: 2000, plots: new Map() }; // plots: chart id -> its uPlot

async function refreshCharts() {
  let history;
  try {
    history = await api('GET', '/status/history');
  } catch (e) {
    $('charts-note').textContent = 'The charts cannot be read: ' + problemText(e);
    $('charts-note').hidden = false;
    return;
  }
  $('charts-note').hidden = true;
  charts.pollMs = Math.min(Math.max(history.interval_seconds * 1000, 1000), 10000);
  const samples = history.time.length;
  $('charts-instance').textContent = 'this instance: ' + history.instance + ' · a sample every '
    + history.interval_seconds + ' s · ' + samples + ' of ' + history.capacity;
  for (const chart of CHARTS) drawChart(chart, history);
}

function drawChart(chart, history) {
  const figure = $(chart.id);
  figure.dataset.samples = String(history.time.length);
  const data = [history.time, ...chart.series.map((s) => history[s.key])];
  figure.querySelector('.latest').textContent = history.time.length === 0 ? 'no sample yet'
    : 'now: ' + chart.series.map((s) => s.label + ' ' + latest(history[s.key])).join(' · ');
  const plot = charts.plots.get(chart.id);
  if (plot) {
    plot.setData(data);
    return;
  }
  const box = figure.querySelector('.plot');
  charts.plots.set(chart.id, new uPlot({
    width: box.clientWidth,
    height: CHART_HEIGHT,
    legend: { live: false },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.15 : 1] } },
    // the time axis as HH:MM:SS (uPlot's own labels for second-spaced samples read ":03.000")
    axes: [{ stroke: '#5d6779', size: 28, values: (u, splits) => splits.map(t => clockTime(t)) },
           { stroke: '#5d6779', size: 46 }],
    // points too: a sample between two gaps (the only interval with a request) has no line to show it
    series: [{}, ...chart.series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, points: { show: true, size: 4 } }))],
  }, data, box));
}

/** The last value of a series, '–' when it is a gap. */
function latest(values) {
  const value = values[values.length - 1];
  return value === null || value === undefined ? '–' : fmt(value);
}

function resizeCharts() {
  for (const chart of CHARTS) {
    const plot = charts.plots.get(chart.id);
    if (plot) plot.setSize({ width: $(chart.id).querySelector('.plot').clientWidth, height: CHART_HEIGHT });
  }
}

document.addEventListener('DOMContentLoaded', () => {
  window.addEventListener('resize', resizeCharts);
  every(() => charts.pollMs, refreshCharts);
});
