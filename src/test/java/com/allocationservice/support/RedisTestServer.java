package com.allocationservice.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
    private final List<String> options;
    private final boolean tls;
    private Process process;

    private RedisTestServer(int port, String externalUrl, List<String> options, boolean tls) {
        this.port = port;
        this.externalUrl = externalUrl;
        this.options = options;
        this.tls = tls;
    }

    public static RedisTestServer start() {
        if (binary() == null) {
            String url = System.getenv().getOrDefault("ALLOCATION_TEST_REDIS_URL", "redis://127.0.0.1:6379");
            return new RedisTestServer(-1, url, List.of(), false);
        }
        return start(List.of());
    }

    /** A server of the test's own with these extra options (such as {@code --requirepass secret}); needs redis-server. */
    public static RedisTestServer start(List<String> options) {
        return start(options, false);
    }

    /**
     * A server that speaks TLS only, with this certificate and key (clients need not present one);
     * {@link #url} is then {@code rediss://127.0.0.1:<port>}.
     */
    public static RedisTestServer startTls(Path certificate, Path key, List<String> options) {
        List<String> all = new ArrayList<>(List.of("--tls-cert-file", certificate.toString(),
                "--tls-key-file", key.toString(), "--tls-auth-clients", "no"));
        all.addAll(options);
        return start(all, true);
    }

    private static RedisTestServer start(List<String> options, boolean tls) {
        if (binary() == null) {
            throw new IllegalStateException("no redis-server binary on the PATH");
        }
        RedisTestServer server = new RedisTestServer(Ports.free(), null, List.copyOf(options), tls);
        server.restart();
        return server;
    }

    /** A URL such as redis://127.0.0.1:40123. */
    public String url() {
        return externalUrl != null ? externalUrl : (tls ? "rediss" : "redis") + "://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** The server process's id (for signals such as SIGSTOP); needs a server of the test's own, running. */
    public long pid() {
        requireOwnProcess();
        return process.pid();
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
            List<String> command = new ArrayList<>(List.of(binary(), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--daemonize", "no"));
            command.addAll(tls ? List.of("--port", "0", "--tls-port", Integer.toString(port))
                    : List.of("--port", Integer.toString(port)));
            command.addAll(options);
            process = new ProcessBuilder(command)
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

    static String binary() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File candidate = new File(dir, "redis-server");
            if (candidate.canExecute()) {
                return candidate.getPath();
            }
        }
        return null;
    }

}
