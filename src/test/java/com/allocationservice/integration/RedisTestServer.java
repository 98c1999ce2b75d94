package com.allocationservice.integration;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A Redis server of the test's own: {@code redis-server} from the PATH on a free port, in memory only,
 * so tests never share channels or streams with another run and may stop and restart it to simulate
 * an outage. Where no redis-server binary exists, {@code ALLOCATION_TEST_REDIS_URL} (or the machine's
 * 127.0.0.1:6379) is used instead, and {@link #stop}/{@link #restart} are unavailable.
 */
public final class RedisTestServer implements AutoCloseable {

    private final int port;
    private final String externalUrl;
    private Process process;

    private RedisTestServer(int port, String externalUrl) {
        this.port = port;
        this.externalUrl = externalUrl;
    }

    public static RedisTestServer start() {
        if (binary() == null) {
            String url = System.getenv().getOrDefault("ALLOCATION_TEST_REDIS_URL", "redis://127.0.0.1:6379");
            return new RedisTestServer(-1, url);
        }
        RedisTestServer server = new RedisTestServer(freePort(), null);
        server.restart();
        return server;
    }

    /** A URL such as redis://127.0.0.1:40123. */
    public String url() {
        return externalUrl != null ? externalUrl : "redis://127.0.0.1:" + port;
    }

    public boolean ownsProcess() {
        return externalUrl == null;
    }

    /** Kills the server (an outage); its data is gone, as with the machine's non-persistent Redis. */
    public void stop() {
        requireOwnProcess();
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    /** Starts the server on the same port and waits until it accepts connections. */
    public void restart() {
        requireOwnProcess();
        stop();
        try {
            Path log = Files.createTempFile("redis-test-" + port, ".log");
            process = new ProcessBuilder(List.of(binary(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--daemonize", "no"))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (Instant.now().isBefore(deadline)) {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.onSpinWait();
            }
        }
        throw new IllegalStateException("redis-server did not start on port " + port);
    }

    @Override
    public void close() {
        if (ownsProcess()) {
            stop();
        }
    }

    private void requireOwnProcess() {
        if (!ownsProcess()) {
            throw new IllegalStateException("no redis-server binary on the PATH: cannot control " + externalUrl);
        }
    }

    private static String binary() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File candidate = new File(dir, "redis-server");
            if (candidate.canExecute()) {
                return candidate.getPath();
            }
        }
        return null;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
