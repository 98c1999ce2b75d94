package com.allocationservice.bootstrap;

import com.allocationservice.config.Settings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The training run of JDK 25's ahead-of-time cache, run by the build ({@code ./mvnw package}, see the
 * pom) under {@code -XX:AOTCacheOutput}: it starts the service as {@link Main} does, on the embedded
 * database in a temporary directory and a free port, sends it the requests of a short session (every
 * route, a few errors), stops it and deletes the directory. The JVM writes the cache as it exits: the
 * classes this loaded and linked, and the methods' profiles, which the service's start then maps
 * instead of loading them from the jar. It gives up after a minute, leaving no cache (the service
 * starts without one, only slower).
 */
public final class AotTraining {

    private AotTraining() {
    }

    public static void main(String[] args) throws IOException {
        Thread.ofPlatform().daemon().name("aot-training-timeout").start(() -> {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                return;
            }
            System.err.println("AOT training took over a minute: stopped, no cache written");
            Runtime.getRuntime().halt(1);
        });
        Path dir = Files.createTempDirectory("allocation-aot-training");
        try {
            Settings settings = Settings.fromEnvironment(Map.of("ALLOCATION_HTTP_PORT", "0",
                    "ALLOCATION_DB_URL", Settings.EMBEDDED_DB_URL.replace("./data/", dir.toAbsolutePath() + "/")));
            try (Bootstrap.Service service = Bootstrap.start(settings)) {
                session(service.port());
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static void session(int port) throws IOException {
        for (int round = 0; round < 5; round++) {
            String sku = "AOT-" + round;
            request(port, "GET", "/health/ready", null);
            request(port, "POST", "/add_batch", "{\"ref\":\"b-" + round + "\",\"sku\":\"" + sku + "\",\"qty\":100,\"eta\":null}");
            request(port, "POST", "/add_batch",
                    "{\"ref\":\"s-" + round + "\",\"sku\":\"" + sku + "\",\"qty\":50,\"eta\":\"2030-01-01\"}");
            for (int line = 0; line < 5; line++) {
                String orderid = "o-" + round + "-" + line;
                request(port, "POST", "/allocate", "{\"orderid\":\"" + orderid + "\",\"sku\":\"" + sku + "\",\"qty\":30}");
                request(port, "GET", "/allocations/" + orderid, null);
            }
            request(port, "GET", "/orders/o-" + round + "-0", null);
            request(port, "GET", "/products/" + sku + "/stock", null);
            request(port, "POST", "/deallocate", "{\"orderid\":\"o-" + round + "-0\",\"sku\":\"" + sku + "\"}");
            request(port, "POST", "/change_batch_quantity", "{\"ref\":\"b-" + round + "\",\"qty\":10}");
            request(port, "POST", "/allocate", "{\"orderid\":\"bad\",\"sku\":\"NO-SUCH-SKU\",\"qty\":1}");
            request(port, "POST", "/allocate", "{\"orderid\":");
            request(port, "GET", "/allocations/none", null);
        }
        for (String path : new String[] {"/health", "/health/live", "/status", "/metrics", "/openapi.json", "/docs", "/"}) {
            request(port, "GET", path, null);
        }
    }

    /** One HTTP/1.1 exchange on a connection of its own; the answer is read and dropped. */
    private static void request(int port, String method, String path, String json) throws IOException {
        byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
        String head = method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                + (json == null ? "" : "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n") + "\r\n";
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            InputStream in = socket.getInputStream();
            in.transferTo(OutputStream.nullOutputStream());
        }
    }
}
