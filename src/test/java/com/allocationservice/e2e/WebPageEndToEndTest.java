package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.allocationservice.support.Closing;
import com.allocationservice.support.RedisTestServer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.XAddParams;

/**
 * The operators' page at {@code /}, in headless Chromium (Debian's {@code chromium} and
 * {@code chromium-driver}, driven by Selenium) against the jar, with an API token and Redis: it asks
 * for the token, adds batches (with an ISO date), shows an allocation made through the API without a
 * reload, changes a quantity into a backorder, cancels a line, and shows the dead letters; it opens on
 * the overview of all stock, the SKUs needing attention first; it draws the instance's last hour live
 * (sampled every second here); and it fits a phone's screen. Screenshots of each step go to {@code target/screenshots/}. Without Chromium the
 * test fails: CI installs it. The service's access log tells which requests the page made.
 */
class WebPageEndToEndTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final String TOKEN = "warehouse-page-token-0123";

    @TempDir
    Path workDir;

    private RedisTestServer redisServer;
    private ServiceProcess service;
    private ChromeDriverService driverService;
    private ChromeDriver browser;

    @BeforeEach
    void start() {
        redisServer = RedisTestServer.start();
        service = ServiceProcess.start(workDir, Map.of("ALLOCATION_API_TOKEN", TOKEN,
                "ALLOCATION_REDIS_URL", redisServer.url(), "ALLOCATION_ACCESS_LOG", "true",
                "ALLOCATION_CHART_INTERVAL_SECONDS", "1"));
        browser = chromium();
        browser.manage().window().setSize(new org.openqa.selenium.Dimension(1400, 1000));
    }

    @AfterEach
    void stop() {
        Closing.all(browser == null ? null : browser::quit, driverService == null ? null : driverService::stop,
                service, redisServer);
    }

    @Test
    void an_operator_adds_a_batch_sees_an_allocation_made_elsewhere_live_and_shrinks_a_batch_into_a_backorder()
            throws Exception {
        browser.get("http://127.0.0.1:" + service.port() + "/#sku=SMALL-TABLE");

        // no token yet: the page says what is wrong and where to put it, in the SKU's card too
        waitUpTo(10).untilAsserted(() -> {
            assertThat(text("#banner")).contains("needs an API token", "401");
            assertThat(text("#sku-card")).doesNotContain("Loading").contains("SMALL-TABLE", "needs an API token",
                    "API token field", "401");
        });
        assertThat(browser.findElement(By.id("token-form")).isDisplayed()).isTrue();
        screenshot("01-token-asked");

        browser.findElement(By.id("token-input")).sendKeys(TOKEN);
        browser.findElement(By.cssSelector("#token-form button[type=submit]")).click();
        waitUpTo(10).untilAsserted(() -> {
            assertThat(text("#banner")).as("the 401 message is gone").doesNotContain("API token");
            assertThat(find("#token-form").isDisplayed()).isFalse();
            assertThat(text("#health-database")).contains("up");
            assertThat(text("#health-redis")).contains("up");
            assertThat(text("#health-backlog")).contains("waiting");
            assertThat(text("#health-dead-letters")).contains("0");
            assertThat(text("#sku-card")).as("read again with the token").contains("No batch of this SKU yet")
                    .doesNotContain("API token");
        });

        // a SKU with no batch yet, and its first batch added through the page
        find("#sku-input").clear();
        find("#sku-input").sendKeys("LAMP");
        find("#sku-form button").click();
        waitUpTo(10).untilAsserted(() -> assertThat(text("#sku-card")).contains("No batch of this SKU yet"));
        WebElement form = find("#add-batch-form");
        form.findElement(By.name("ref")).sendKeys("warehouse-1");
        assertThat(form.findElement(By.name("sku")).getDomProperty("value")).isEqualTo("LAMP");
        form.findElement(By.name("qty")).sendKeys("20");
        form.findElement(By.cssSelector("button[type=submit]")).click();
        waitUpTo(10).untilAsserted(() -> assertThat(text("tr[data-batch='warehouse-1']"))
                .contains("Warehouse", "0 allocated", "20 available"));
        assertThat(service.get("/products/LAMP/stock", TOKEN).body()).contains("\"ref\":\"warehouse-1\"");

        // a shipment, its date typed as the API writes it; a date in another shape is refused by the form
        WebElement eta = form.findElement(By.name("eta"));
        assertThat(eta.getDomAttribute("placeholder")).isEqualTo("YYYY-MM-DD");
        form.findElement(By.name("ref")).sendKeys("ship-1");
        form.findElement(By.name("qty")).sendKeys("5");
        for (String wrong : List.of("01/15/2031", "2031-02-30")) {
            eta.clear();
            eta.sendKeys(wrong);
            form.findElement(By.cssSelector("button[type=submit]")).click();
            assertThat(browser.executeScript("return arguments[0].validity.valid", eta)).as(wrong).isEqualTo(false);
        }
        eta.clear();
        eta.sendKeys("2031-01-15");
        assertThat(eta.getDomProperty("value")).as("what the operator sees is what is sent").isEqualTo("2031-01-15");
        form.findElement(By.cssSelector("button[type=submit]")).click();
        waitUpTo(5).untilAsserted(() -> assertThat(rowsOf("#sku-card tr[data-batch]", "data-batch"))
                .as("warehouse first, then incoming").containsExactly("warehouse-1", "ship-1"));
        assertThat(text("tr[data-batch='ship-1']")).contains("Arrives 2031-01-15");
        assertThat(service.get("/products/LAMP/stock", TOKEN).body()).contains("\"eta\":\"2031-01-15\"");
        assertThat(service.log()).as("no refused date was sent").doesNotContain("/add_batch 400");
        screenshot("02-batch-added");

        // an error stays, with its time, until the operator closes it or acts again
        form.findElement(By.name("ref")).sendKeys("warehouse-1");
        form.findElement(By.name("qty")).sendKeys("1");
        form.findElement(By.cssSelector("button[type=submit]")).click();
        waitUpTo(5).untilAsserted(() -> assertThat(text("#banner")).contains("warehouse-1", "already exists")
                .matches("(?s)\\d\\d:\\d\\d:\\d\\d · .*"));
        screenshot("02b-error-banner");
        find("#banner-close").click();
        assertThat(find("#banner").isDisplayed()).isFalse();
        form.findElement(By.cssSelector("button[type=submit]")).click();
        waitUpTo(5).untilAsserted(() -> assertThat(find("#banner").isDisplayed()).isTrue());
        form.findElement(By.name("ref")).clear();
        form.findElement(By.name("ref")).sendKeys("warehouse-2");
        form.findElement(By.cssSelector("button[type=submit]")).click();
        waitUpTo(5).untilAsserted(() -> assertThat(text("#banner")).contains("Batch warehouse-2 added")
                .doesNotContain("already exists"));
        waitUpTo(10).untilAsserted(() -> assertThat(find("#banner").isDisplayed()).as("a success goes by itself")
                .isFalse());
        assertThat(service.post("/change_batch_quantity", "{\"ref\": \"warehouse-2\", \"qty\": 0}", TOKEN).status())
                .isEqualTo(200);

        // an allocation made elsewhere shows up within about two seconds, in the same document
        browser.executeScript("window.sameDocument = 'yes'");
        assertThat(service.post("/allocate", "{\"orderid\": \"order-1\", \"sku\": \"LAMP\", \"qty\": 8}", TOKEN).body())
                .contains("warehouse-1");
        long allocated = System.nanoTime();
        waitUpTo(3).untilAsserted(() -> assertThat(text("tr[data-batch='warehouse-1']"))
                .contains("8 allocated", "12 available"));
        long shownAfterMs = (System.nanoTime() - allocated) / 1_000_000;
        assertThat(browser.executeScript("return window.sameDocument")).as("no reload").isEqualTo("yes");
        assertThat(find("tr[data-batch='warehouse-1'] .seg.allocated").getDomAttribute("style")).contains("width: 40%");
        System.out.println("The allocation showed on the page " + shownAfterMs + " ms after it was answered");

        find("#order-input").sendKeys("order-1");
        find("#order-form button").click();
        waitUpTo(10).untilAsserted(() -> assertThat(text("#order-card tr[data-sku='LAMP']"))
                .contains("8", "Allocated", "warehouse-1", "in the warehouse"));
        screenshot("03-allocation-shown-live");

        // the warehouse batch shrinks to 5 through the page: order-1 (8) fits nowhere and waits
        WebElement quantity = find("tr[data-batch='warehouse-1'] input[name=qty]");
        quantity.clear();
        quantity.sendKeys("5");
        find("tr[data-batch='warehouse-1'] form button").click();
        waitUpTo(10).untilAsserted(() -> {
            assertThat(text("#sku-card tr[data-order='order-1']")).contains("order-1", "8", "waiting for stock");
            assertThat(text("tr[data-batch='warehouse-1']")).contains("0 allocated", "5 available");
            assertThat(text("#order-card tr[data-sku='LAMP']")).contains("Backordered");
        });
        assertThat(service.get("/orders/order-1", TOKEN).body()).contains("\"status\":\"backordered\"");
        assertThat(browser.executeScript("return window.sameDocument")).isEqualTo("yes");
        screenshot("04-backorder");

        // a bad message in: the dead letters count on the page goes up
        try (RedisClient redis = RedisClient.create(URI.create(redisServer.url()))) {
            redis.xadd("change_batch_quantity", XAddParams.xAddParams(), Map.of("data", "not json"));
        }
        waitUpTo(10).untilAsserted(() -> assertThat(text("#health-dead-letters")).contains("1"));

        // the backordered line is cancelled through the page
        find("#order-card tr[data-sku='LAMP'] button").click();
        browser.switchTo().alert().accept();
        waitUpTo(10).untilAsserted(() -> {
            assertThat(text("#order-card")).contains("No lines");
            assertThat(text("#sku-card")).contains("None: every order line of this SKU is on a batch");
        });
        assertThat(service.get("/orders/order-1", TOKEN).status()).isEqualTo(404);
        screenshot("05-line-cancelled");

        // an order with no lines is not asked for every second, and the page needs no favicon request
        int asked = count(service.log(), "GET /orders/order-1 404");
        await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(6))
                .until(() -> count(service.log(), "GET /orders/order-1 404") <= asked + 2);
        assertThat(service.log()).doesNotContain("/favicon.ico");
        assertThat(service.post("/allocate", "{\"orderid\": \"order-1\", \"sku\": \"LAMP\", \"qty\": 1}", TOKEN)
                .status()).isEqualTo(202);
        find("#order-form button").click();
        waitUpTo(5).untilAsserted(() -> assertThat(text("#order-card tr[data-sku='LAMP']")).contains("Allocated"));

        // under the order, its story: allocated, backordered by the shrink, cancelled, allocated again
        waitUpTo(5).untilAsserted(() -> assertThat(rowsOf("#order-card table.history tr[data-kind]", "data-kind"))
                .containsExactly("allocated", "backordered", "deallocated", "allocated"));
        List<WebElement> entries = browser.findElements(By.cssSelector("#order-card table.history tr[data-kind]"));
        assertThat(entries.get(0).getText()).contains("Allocated", "warehouse-1", "the order asked", "HTTP, token");
        assertThat(entries.get(1).getText()).contains("Backordered", "batch warehouse-1 changed quantity");
        assertThat(entries.get(2).getText()).contains("Deallocated", "the line was cancelled");
        browser.executeScript("arguments[0].scrollIntoView()", find("#order-card"));
        screenshot("09-order-history");
    }

    @Test
    void the_page_opens_on_the_overview_of_all_stock_with_the_skus_needing_attention_first() throws Exception {
        post("/add_batch", "{\"ref\": \"lamp-wh\", \"sku\": \"LAMP\", \"qty\": 10, \"eta\": null}");
        post("/add_batch", "{\"ref\": \"lamp-ship\", \"sku\": \"LAMP\", \"qty\": 20, \"eta\": \"2031-01-15\"}");
        post("/allocate", "{\"orderid\": \"order-1\", \"sku\": \"LAMP\", \"qty\": 8}");
        post("/allocate", "{\"orderid\": \"order-2\", \"sku\": \"LAMP\", \"qty\": 6}");
        post("/allocate", "{\"orderid\": \"order-3\", \"sku\": \"LAMP\", \"qty\": 14}");
        post("/change_batch_quantity", "{\"ref\": \"lamp-ship\", \"qty\": 0}"); // order-2 and 3 wait for stock
        post("/add_batch", "{\"ref\": \"chair-wh\", \"sku\": \"CHAIR\", \"qty\": 5, \"eta\": null}");
        post("/add_batch", "{\"ref\": \"sofa-ship\", \"sku\": \"SOFA\", \"qty\": 40, \"eta\": \"2031-03-01\"}");
        for (int i = 1; i <= 50; i++) {
            post("/add_batch", "{\"ref\": \"shelf-" + i + "\", \"sku\": \"SHELF-" + String.format("%02d", i)
                    + "\", \"qty\": " + (100 + i) + ", \"eta\": null}");
        }
        browser.get("http://127.0.0.1:" + service.port() + "/");
        browser.executeScript("sessionStorage.setItem('allocation.apiToken', arguments[0])", TOKEN);
        browser.navigate().refresh();

        // the needing attention first: the backordered one, then the least in the warehouse; then the rest by SKU
        waitUpTo(10).untilAsserted(() -> assertThat(rowsOf("#overview-card tr[data-sku]", "data-sku"))
                .hasSize(50).startsWith("LAMP", "SOFA", "CHAIR", "SHELF-01", "SHELF-02"));
        assertThat(text("#overview-card tr[data-sku='LAMP']")).contains("LAMP", "2", "20 (2 lines)", "backordered");
        assertThat(text("#overview-card tr[data-sku='SOFA']")).contains("40", "2031-03-01", "none in warehouse");
        assertThat(text("#overview-card tr[data-sku='CHAIR']")).contains("5", "low");
        assertThat(text("#overview-card tr[data-sku='SHELF-01']")).contains("101", "ok");
        screenshot("overview");

        // more: the next page is added below, and nothing else comes
        find("#overview-more").click();
        waitUpTo(10).untilAsserted(() -> assertThat(rowsOf("#overview-card tr[data-sku]", "data-sku"))
                .hasSize(53).endsWith("SHELF-48", "SHELF-49", "SHELF-50").doesNotHaveDuplicates());
        assertThat(find("#overview-more").isDisplayed()).isFalse();

        // only those that need attention, then back to the SKU's card
        find("#overview-short").click();
        waitUpTo(10).untilAsserted(() -> assertThat(rowsOf("#overview-card tr[data-sku]", "data-sku"))
                .containsExactly("LAMP", "SOFA", "CHAIR"));
        find("#overview-card tr[data-sku='LAMP'] a").click();
        waitUpTo(10).untilAsserted(() -> {
            assertThat(rowsOf("#sku-card tr[data-batch]", "data-batch")).containsExactly("lamp-wh", "lamp-ship");
            assertThat(text("#sku-card tr[data-order='order-2']")).contains("waiting for stock");
        });
        assertThat(browser.getCurrentUrl()).endsWith("#sku=LAMP");
    }

    @Test
    void the_page_draws_this_instances_last_hour_live_from_its_own_samples() throws Exception {
        post("/add_batch", "{\"ref\": \"lamp-wh\", \"sku\": \"LAMP\", \"qty\": 30, \"eta\": null}");
        browser.get("http://127.0.0.1:" + service.port() + "/");
        browser.executeScript("sessionStorage.setItem('allocation.apiToken', arguments[0])", TOKEN);
        browser.navigate().refresh();
        waitUpTo(10).untilAsserted(() -> assertThat(text("#charts-instance"))
                .contains("this instance: ", "(pid ", "a sample every 1 s"));

        // allocations while the page watches, the last ten out of stock; two dead letters. Paced over
        // about four samples, so that the screenshot shows lines rather than one point (no assertion
        // depends on the pace)
        for (int i = 1; i <= 40; i++) {
            assertThat(service.post("/allocate", "{\"orderid\": \"order-" + i + "\", \"sku\": \"LAMP\", \"qty\": 1}",
                    TOKEN).status()).isEqualTo(i <= 30 ? 202 : 409);
            Thread.sleep(100);
        }
        try (RedisClient redis = RedisClient.create(URI.create(redisServer.url()))) {
            for (int i = 0; i < 2; i++) {
                redis.xadd("change_batch_quantity.dead_letter", XAddParams.xAddParams(), Map.of("data", "x", "error", "y"));
            }
        }

        List<String> charts = List.of("chart-allocations", "chart-latency", "chart-outbox", "chart-stream");
        waitUpTo(15).untilAsserted(() -> {
            for (String chart : charts) {
                assertThat(browser.findElements(By.cssSelector("#" + chart + " canvas"))).as(chart).isNotEmpty();
            }
            assertThat(plotted("chart-allocations", 1, "v > 0")).as("allocations per second").isTrue();
            assertThat(plotted("chart-allocations", 2, "v > 0")).as("out of stock per second").isTrue();
            assertThat(plotted("chart-latency", 1, "v > 0")).as("p50").isTrue();
            assertThat(plotted("chart-latency", 2, "v > 0")).as("p99").isTrue();
            assertThat(plotted("chart-outbox", 1, "v !== null")).as("the outbox backlog, read").isTrue();
            assertThat(plotted("chart-stream", 1, "v === 0")).as("the stream's lag, read: the consumer keeps up")
                    .isTrue();
            assertThat(plotted("chart-stream", 2, "v === 2")).as("the dead letters").isTrue();
            assertThat(text("#chart-stream .latest")).contains("dead letters 2");
        });
        browser.executeScript("document.getElementById('charts').scrollIntoView()");
        screenshot("10-charts");

        // live: the next samples come without a reload
        int samples = Integer.parseInt(find("#chart-allocations").getDomAttribute("data-samples"));
        waitUpTo(5).untilAsserted(() -> assertThat(Integer.parseInt(
                find("#chart-allocations").getDomAttribute("data-samples"))).isGreaterThan(samples));
        // once per sampling interval (1 s here), not more
        int asked = count(service.log(), "GET /status/history 200");
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4))
                .until(() -> count(service.log(), "GET /status/history 200") <= asked + 4);
        assertThat(service.log()).doesNotContain("GET /status/history 5");
    }

    /** Whether some value of the chart's series (1: the first line) satisfies the JavaScript test of v. */
    private boolean plotted(String chart, int series, String test) {
        return (Boolean) browser.executeScript("const plot = charts.plots.get(arguments[0]);"
                + "return !!plot && plot.data[arguments[1]].some((v) => " + test + ");", chart, series);
    }

    private void post(String path, String body) {
        int status = service.post(path, body, TOKEN).status();
        assertThat(status).as(path + " " + body).isIn(200, 201, 202);
    }

    @Test
    void on_a_phone_420_px_wide_nothing_is_wider_than_the_screen() throws Exception {
        String sku = "LARGE-OAK-WARDROBE";
        for (String batch : List.of(
                "{\"ref\": \"warehouse-2031-001\", \"sku\": \"" + sku + "\", \"qty\": 12, \"eta\": null}",
                "{\"ref\": \"shipment-2031-002\", \"sku\": \"" + sku + "\", \"qty\": 40, \"eta\": \"2031-01-15\"}")) {
            assertThat(service.post("/add_batch", batch, TOKEN).status()).isEqualTo(201);
        }
        for (String line : List.of("\"order-1\", \"qty\": 10", "\"order-2\", \"qty\": 30")) {
            assertThat(service.post("/allocate", "{\"orderid\": " + line + ", \"sku\": \"" + sku + "\"}", TOKEN)
                    .status()).isEqualTo(202);
        }
        assertThat(service.post("/change_batch_quantity", "{\"ref\": \"shipment-2031-002\", \"qty\": 20}", TOKEN)
                .status()).as("order-2 waits for stock").isEqualTo(200);
        browser.manage().window().setSize(new org.openqa.selenium.Dimension(420, 1700));
        browser.get("http://127.0.0.1:" + service.port() + "/#sku=" + sku + "&order=order-1");
        browser.executeScript("sessionStorage.setItem('allocation.apiToken', arguments[0])", TOKEN);
        browser.navigate().refresh();
        waitUpTo(10).untilAsserted(() -> {
            assertThat(text("tr[data-batch='shipment-2031-002']")).contains("Arrives 2031-01-15");
            assertThat(text("#sku-card tr[data-order='order-2']")).contains("waiting for stock");
            assertThat(text("#order-card tr[data-sku='" + sku + "']")).contains("Allocated");
            assertThat(text("#overview-card tr[data-sku='" + sku + "']")).contains("backordered");
            assertThat(browser.findElements(By.cssSelector("#chart-latency canvas"))).isNotEmpty();
        });
        screenshot("06-phone-420px");
        assertThat(browser.executeScript("return window.innerWidth")).isEqualTo(420L);
        assertThat((Long) browser.executeScript("return document.documentElement.scrollWidth"))
                .as("no sideways scrolling; wider than the screen: %s", browser.executeScript(
                        "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 420)"
                                + ".map(e => e.tagName + '.' + e.className + '#' + e.id).join(', ')"))
                .isLessThanOrEqualTo(420L);
        assertThat(rowsOf("#overview-card tr[data-sku]", "data-sku")).containsExactly(sku);
        for (String card : List.of("#overview-card", "#sku-card", "#order-card", "#add-batch-form", "#charts .card")) {
            @SuppressWarnings("unchecked")
            Map<String, Number> box = (Map<String, Number>) browser.executeScript(
                    "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
                            + "return {left: r.left, right: r.right, inner: ['#sku-card', '#charts .card'].includes(arguments[0])"
                            + " ? Math.max(...[...document.querySelectorAll(arguments[0] + ' *')]"
                            + ".map(e => e.getBoundingClientRect().right)) : r.right};", card);
            assertThat(box.get("left").doubleValue()).as(card + " left edge").isGreaterThanOrEqualTo(0);
            assertThat(box.get("right").doubleValue()).as(card + " right edge").isLessThanOrEqualTo(420);
            assertThat(box.get("inner").doubleValue()).as(card + ": the rightmost of what it holds")
                    .isLessThanOrEqualTo(box.get("right").doubleValue());
        }
        browser.executeScript("document.getElementById('charts').scrollIntoView()");
        screenshot("10b-charts-phone-420px");
    }

    @Test
    void an_operator_replays_a_dead_letter_and_discards_another_with_a_reason_from_the_page() throws Exception {
        // a change sent before its batch existed, and a message that is not JSON: two dead letters
        try (RedisClient redis = RedisClient.create(URI.create(redisServer.url()))) {
            redis.xadd("change_batch_quantity", XAddParams.xAddParams(),
                    Map.of("data", "{\"id\": \"late-1\", \"batchref\": \"b-late\", \"qty\": 5}"));
            redis.xadd("change_batch_quantity", XAddParams.xAddParams(), Map.of("data", "not json"));
        }
        waitUpTo(15).until(() -> service.get("/dead-letters", TOKEN).body().contains("Unknown batch b-late"));
        assertThat(service.post("/add_batch", "{\"ref\": \"b-late\", \"sku\": \"LAMP\", \"qty\": 10, \"eta\": null}",
                TOKEN).status()).isEqualTo(201);
        browser.get("http://127.0.0.1:" + service.port() + "/");
        browser.executeScript("sessionStorage.setItem('allocation.apiToken', arguments[0])", TOKEN);
        browser.navigate().refresh();
        waitUpTo(15).untilAsserted(() -> {
            assertThat(browser.findElements(By.cssSelector("#dead-letters .problem-item"))).hasSize(2);
            assertThat(text("#dead-letters")).contains("Unknown batch b-late", "not valid JSON", "from stream", "ago");
            assertThat(text("#parked")).contains("None.");
        });

        WebElement late = browser.findElements(By.cssSelector("#dead-letters .problem-item")).stream()
                .filter(item -> item.getText().contains("b-late")).findFirst().orElseThrow();
        String lateId = late.getDomAttribute("data-id");
        late.findElement(By.xpath(".//button[text()='Show']")).click();
        waitUpTo(5).untilAsserted(() -> assertThat(text("#problem-detail")).contains("Dead letter " + lateId,
                "\"id\": \"late-1\"", "Unknown batch b-late"));
        late.findElement(By.xpath(".//button[text()='Replay']")).click();
        waitUpTo(15).untilAsserted(() -> {
            assertThat(text("#banner")).contains("Dead letter " + lateId + " replayed");
            assertThat(browser.findElements(By.cssSelector("#dead-letters .problem-item"))).hasSize(1);
            assertThat(text("#operator-actions")).contains("api-token replay dead letter " + lateId)
                    .containsPattern("\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} · api-token replay");   // ISO, as the API
            assertThat(service.get("/products/LAMP/stock", TOKEN).body()).contains("\"purchased\":5");
        });
        find("#dead-letters .problem-item button.secondary").click();
        waitUpTo(5).untilAsserted(() -> assertThat(text("#problem-detail")).contains("not json"));
        browser.executeScript("document.getElementById('problems').scrollIntoView()");
        screenshot("07-dead-letters-with-a-replay");

        // a discard asks for the reason, and records it
        find("#dead-letters .problem-item button.danger").click();
        browser.switchTo().alert().sendKeys("junk from a test tool");
        browser.switchTo().alert().accept();
        waitUpTo(10).untilAsserted(() -> {
            assertThat(text("#dead-letters")).contains("None.");
            assertThat(text("#operator-actions")).contains("api-token discard dead letter", "junk from a test tool");
            assertThat(find("#problem-detail").isDisplayed()).as("what is gone is no longer shown").isFalse();
        });
        assertThat(service.get("/operator-actions", TOKEN).body()).contains("\"who\":\"api-token\"",
                "\"reason\":\"junk from a test tool\"");

        // at 420 px the section fits the screen
        browser.manage().window().setSize(new org.openqa.selenium.Dimension(420, 1400));
        browser.executeScript("document.getElementById('problems').scrollIntoView()");
        screenshot("08-problems-phone-420px");
        assertThat((Long) browser.executeScript("return document.documentElement.scrollWidth"))
                .as("no sideways scrolling; wider than the screen: %s", browser.executeScript(
                        "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 420)"
                                + ".map(e => e.tagName + '.' + e.className + '#' + e.id).join(', ')"))
                .isLessThanOrEqualTo(420L);
    }

    private static int count(String text, String what) {
        return text.split(java.util.regex.Pattern.quote(what), -1).length - 1;
    }

    private ChromeDriver chromium() {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            fail("This test needs Debian's chromium and chromium-driver (" + CHROMIUM + ", " + CHROMEDRIVER
                    + "): apt-get install chromium chromium-driver (.ci/run does)");
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + workDir.resolve("chromium-profile"));
        driverService = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().withLogFile(workDir.resolve("chromedriver.log").toFile()).build();
        return new ChromeDriver(driverService, options);
    }

    private ConditionFactory waitUpTo(int seconds) {
        return await().atMost(Duration.ofSeconds(seconds)).pollInterval(Duration.ofMillis(50)).ignoreExceptions();
    }

    private WebElement find(String css) {
        return browser.findElement(By.cssSelector(css));
    }

    private String text(String css) {
        return find(css).getText();
    }

    private List<String> rowsOf(String css, String attribute) {
        return browser.findElements(By.cssSelector(css)).stream().map(row -> row.getDomAttribute(attribute)).toList();
    }

    private void screenshot(String name) throws IOException {
        Path dir = Path.of(System.getProperty("allocation.jar")).getParent().resolve("screenshots");
        Files.createDirectories(dir);
        Files.write(dir.resolve(name + ".png"), browser.getScreenshotAs(OutputType.BYTES));
    }
}
