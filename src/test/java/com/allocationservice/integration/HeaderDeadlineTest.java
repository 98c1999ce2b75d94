package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.support.TestDatabase;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A client that sends its request head a byte at a time cannot hold a connection past the
 * request-head deadline (one second here, {@code ALLOCATION_HTTP_HEADER_TIMEOUT_MS}): two thousand
 * of them, on real sockets, are all closed while an ordinary client's requests keep being answered
 * quickly. A head that completes in time, and a kept-alive connection that waits between requests, are
 * not cut off.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HeaderDeadlineTest {

    private static final int SLOW_CLIENTS = 2_000;
    private static final long DEADLINE_MS = 1_000;

    private TestService api;

    @BeforeAll
    void start() {
        api = TestService.start(TestDatabase.Kind.H2, Map.of("ALLOCATION_HTTP_HEADER_TIMEOUT_MS",
                Long.toString(DEADLINE_MS)));
        assertThat(api.post("/add_batch", "{\"ref\": \"b1\", \"sku\": \"LAMP\", \"qty\": 10, \"eta\": null}").statusCode())
                .isEqualTo(201);
    }

    @AfterAll
    void stop() {
        api.close();
    }

    @Test
    void two_thousand_clients_sending_a_header_byte_at_a_time_are_closed_while_others_are_served() throws Exception {
        List<Socket> slow = new ArrayList<>();
        List<Long> millis = Collections.synchronizedList(new ArrayList<>());
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean done = new AtomicBoolean();
        // the ordinary client: reads a product every 20 ms, from before the first slow client to after the last check
        Thread ordinary = Thread.ofPlatform().name("ordinary-client").start(() -> {
            while (!done.get()) {
                long start = System.nanoTime();
                HttpResponse<String> read = api.get("/products/LAMP/stock");
                millis.add((System.nanoTime() - start) / 1_000_000);
                if (read.statusCode() != 200) {
                    failures.add(read.statusCode() + " " + read.body());
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try {
            for (int i = 0; i < SLOW_CLIENTS; i++) {
                Socket socket = new Socket("127.0.0.1", api.service().port());
                socket.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
                        .getBytes(StandardCharsets.ISO_8859_1));
                slow.add(socket);
            }
            // Then every slow client still connected sends one more header byte every 200 ms (each byte
            // would restart an idle timeout), until the server has closed them all, for at most twenty
            // deadlines after the last one connected. A connect can return before the server has
            // accepted the connection (the kernel's accept queue overflows with 2,000 at once, and a
            // loaded machine accepts late), and the deadline runs from the accept, so the bound is
            // generous: without the deadline nothing closes them (each byte restarts the idle timeout).
            List<Socket> writable = new ArrayList<>(slow);
            long end = System.nanoTime() + 20 * DEADLINE_MS * 1_000_000;
            while (!writable.isEmpty() && System.nanoTime() < end) {
                writable.removeIf(socket -> !trickle(socket));
                Thread.sleep(200);
            }

            long stillOpen = slow.stream().filter(HeaderDeadlineTest::open).count();
            done.set(true);
            ordinary.join(10_000);
            assertThat(stillOpen).as("slow clients still connected twenty deadlines after the last connected").isZero();
            assertThat(failures).as("the ordinary client's failed requests").isEmpty();
            List<Long> sorted = new ArrayList<>(millis);
            sorted.sort(null);
            assertThat(sorted.size()).as("the ordinary client's requests").isGreaterThan(50);
            long p99 = sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1);
            assertThat(p99).as("the ordinary client's p99, in ms, over %s requests", sorted.size()).isLessThan(1_000);
        } finally {
            done.set(true);
            ordinary.join(10_000);
            for (Socket socket : slow) {
                socket.close();
            }
        }
    }

    @Test
    void a_head_sent_slowly_but_within_the_deadline_is_answered() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", api.service().port())) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            for (String part : List.of("GET /health/live HTTP/1.1\r\n", "Host: 127.0.0.1\r\n", "X-Slow: yes\r\n", "\r\n")) {
                out.write(part.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                Thread.sleep(DEADLINE_MS / 5);
            }
            assertThat(RefusedRequestsTest.Response.read(socket.getInputStream()).status()).isEqualTo(200);
        }
    }

    @Test
    void a_kept_alive_connection_may_wait_longer_than_the_deadline_between_requests() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", api.service().port())) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            for (int i = 0; i < 2; i++) {
                out.write("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                assertThat(RefusedRequestsTest.Response.read(in).status()).as("request %s", i + 1).isEqualTo(200);
                if (i == 0) {
                    Thread.sleep(3 * DEADLINE_MS);
                }
            }
        }
    }

    /** One more header byte; false when the connection refuses it (the server closed it: checked later). */
    private static boolean trickle(Socket socket) {
        try {
            socket.getOutputStream().write('a');
            return true;
        } catch (IOException closed) {
            return false;
        }
    }

    /** Whether the server has not closed this connection: it has sent no end of stream (nor reset it). */
    private static boolean open(Socket socket) {
        try {
            socket.setSoTimeout(1);
            return socket.getInputStream().read() != -1;
        } catch (SocketTimeoutException stillWaiting) {
            return true;
        } catch (SocketException reset) {
            return false;
        } catch (IOException e) {
            return false;
        }
    }
}
