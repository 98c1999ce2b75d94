package com.allocationservice.e2e;

import com.allocationservice.support.OpenApiContract;
import com.allocationservice.support.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * The built jar running as a process of its own, as an operator runs it: configured only through
 * {@code ALLOCATION_*} environment variables (none inherited from the test's environment), its
 * output in {@code service.log} in its working directory. It can be stopped gracefully (SIGTERM),
 * killed (SIGKILL) and started again on the same port and configuration. Every answer it receives is
 * checked against the OpenAPI document. {@link #runUntilExit} runs it once to its exit, for a
 * start-up that must fail.
 */
public final class ServiceProcess implements AutoCloseable {

    /** An HTTP answer: status and body. */
    public record Answer(int status, String body) {
    }

    /** How a run that ended by itself ended: its exit code and everything it printed. */
    public record Exit(int code, String output) {
    }

    private final Path workDir;
    private final Map<String, String> env;
    private final int port;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Process process;

    private ServiceProcess(Path workDir, Map<String, String> env, int port) {
        this.workDir = workDir;
        this.env = env;
        this.port = port;
    }

    /** Starts the jar with these settings (plus a free ALLOCATION_HTTP_PORT) and waits until /health is 200. */
    public static ServiceProcess start(Path workDir, Map<String, String> settings) {
        Map<String, String> env = new HashMap<>(settings);
        int port = Ports.free();
        env.put("ALLOCATION_HTTP_PORT", Integer.toString(port));
        ServiceProcess service = new ServiceProcess(workDir, env, port);
        service.startAgain();
        return service;
    }

    /**
     * Runs the jar with exactly these settings (no port is added) and waits, up to a minute, for it to
     * exit by itself, as it does when it cannot start.
     */
    public static Exit runUntilExit(Path workDir, Map<String, String> settings) {
        try {
            // the output goes to a file, not a pipe read to its end: a service that does start (the
            // failure under test) must fail the test in a minute, not hang it waiting for the pipe to close
            Path output = Files.createTempFile("service-output", ".log");
            try {
                Process process = jar(workDir, settings).redirectOutput(output.toFile()).start();
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                    throw new AssertionError("the service did not exit: " + Files.readString(output));
                }
                return new Exit(process.exitValue(), Files.readString(output));
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts the process again (after {@link #kill} or {@link #stop}) and waits until it is healthy. */
    public void startAgain() {
        ProcessBuilder builder = jar(workDir, env)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(workDir.resolve("service.log").toFile()));
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Awaitility.await("the service answers /health").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100)).ignoreExceptionsInstanceOf(UncheckedIOException.class)
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new AssertionError("the service exited: " + log());
                        }
                        return get("/health").status() == 200;
                    });
        } catch (RuntimeException | Error e) {
            kill(); // never healthy: when start() throws, no one holds this object to close it
            throw e;
        }
    }

    public int port() {
        return port;
    }

    /** The process's id now: it changes when the process is started again. */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** SIGKILL: no shutdown hook runs, nothing in flight finishes. */
    public void kill() {
        process.destroyForcibly();
        waitForExit();
    }

    /** SIGTERM: the graceful shutdown an orchestrator asks for. */
    public void stop() {
        terminate();
        waitForExit();
    }

    /** Sends SIGTERM and returns at once, while the process shuts down. */
    public void terminate() {
        process.destroy();
    }

    /** Whether the process exits within this time. */
    public boolean exitsWithin(Duration time) {
        try {
            return process.waitFor(time.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public Answer get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    public Answer post(String path, String json) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    /** A POST with {@code Authorization: Bearer <token>}, for a service started with {@code ALLOCATION_API_TOKEN}. */
    public Answer post(String path, String json, String token) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    /** A POST with these headers as well. */
    public Answer post(String path, String json, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        headers.forEach(request::header);
        return send(request);
    }

    /** A GET with {@code Authorization: Bearer <token>}. */
    public Answer get(String path, String token) {
        return send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + token).GET());
    }

    /** Everything the process wrote so far. */
    public String log() {
        try {
            return Files.readString(workDir.resolve("service.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        if (isAlive()) {
            stop();
        }
    }

    private Answer send(HttpRequest.Builder request) {
        try {
            HttpRequest built = request.timeout(Duration.ofSeconds(30)).build();
            HttpResponse<String> response = client.send(built, HttpResponse.BodyHandlers.ofString());
            OpenApiContract.check(built.method(), built.uri(), response);
            return new Answer(response.statusCode(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private void waitForExit() {
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code java -jar} on the built jar in this directory, with these settings and no other ALLOCATION_* variable. */
    private static ProcessBuilder jar(Path workDir, Map<String, String> settings) {
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", System.getProperty("allocation.jar"))
                .directory(workDir.toFile())
                .redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("ALLOCATION_"));
        builder.environment().putAll(settings);
        return builder;
    }

}
