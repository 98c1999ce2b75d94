-- wrk's side of `LoadGen wrk` (bench/run --wrk): the same load as `LoadGen allocate`, from C.
-- POST /allocate with unique orderids over random SKUs. One connection per thread, so each response
-- answers the thread's last request: every 2xx is appended to BENCH_OK.<thread> as orderid, batchref.
-- With BENCH_PATH: GET that path instead, every answer counted (the generator's ceiling).
-- done() prints the counts and latency percentiles as key=value pairs for LoadGen, and writes to
-- BENCH_UNANSWERED the orderid of each request still in flight when wrk stopped (it drops them: the
-- service may have stored them, the client never saw the answer).
-- Environment: BENCH_RUN (orderid prefix), BENCH_SKUS, BENCH_HOT (1: every request on SKU 0), BENCH_OK,
-- BENCH_PATH.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  run, skus, hot = os.getenv("BENCH_RUN"), tonumber(os.getenv("BENCH_SKUS")), os.getenv("BENCH_HOT") == "1"
  seq, ok, non2xx, path, pending = 0, 0, 0, os.getenv("BENCH_PATH"), false
  if os.getenv("BENCH_OK") then
    out = io.open(os.getenv("BENCH_OK") .. "." .. id, "w")
    out:setvbuf("line")  -- wrk exits without closing its threads' files
  end
  math.randomseed(os.time() * 1000 + id)
end

function request()
  if path then
    return wrk.format("GET", path)
  end
  orderid, pending = run .. "-" .. id .. "-" .. seq, true
  seq = seq + 1
  local sku = string.format("BENCH-SKU-%03d", hot and 0 or math.random(0, skus - 1))
  return wrk.format("POST", "/allocate", {["Content-Type"] = "application/json"},
    '{"orderid":"' .. orderid .. '","sku":"' .. sku .. '","qty":1}')
end

function response(status, headers, body)
  pending = false
  if path or (status >= 200 and status < 300) then
    ok = ok + 1
    if out then
      out:write(orderid, "\t", body:match('"batchref"%s*:%s*"([^"]*)"') or "?", "\n")
    end
  else
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local ok, non2xx = 0, 0
  local unanswered = os.getenv("BENCH_UNANSWERED") and io.open(os.getenv("BENCH_UNANSWERED"), "w")
  for _, thread in ipairs(threads) do
    ok, non2xx = ok + thread:get("ok"), non2xx + thread:get("non2xx")
    if unanswered and thread:get("pending") then
      unanswered:write(thread:get("orderid"), "\n")
    end
  end
  if unanswered then
    unanswered:close()
  end
  local e = summary.errors
  io.write(string.format("ok=%d non2xx=%d seconds=%.2f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    ok, non2xx + e.connect + e.read + e.write + e.timeout, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3))
end
