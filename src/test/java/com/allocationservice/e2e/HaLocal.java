package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * A set started by {@code ops/ha-local/up} for one test: its part ({@code postgres} or {@code redis})
 * on a port base of its own, its files under a directory of its own, stopped by {@link #close}
 * ({@code ops/ha-local/down}), or when the JVM exits if a test never gets there.
 */
final class HaLocal implements AutoCloseable {

    private static final Path UP = Path.of("ops/ha-local/up");
    private static final Path DOWN = Path.of("ops/ha-local/down");

    /** The port base; the script's ports are offsets from it (ops/ha-local/README.md). */
    final int base;
    /** The set's HA_DIR: pid files, logs, data. */
    final Path dir;
    private final Path workDir;
    private final Thread downOnExit;
    private String printed = "";

    private HaLocal(int base, Path workDir) {
        this.base = base;
        this.dir = Path.of(System.getProperty("java.io.tmpdir"), "allocation-ha-test-" + base);
        this.workDir = workDir;
        this.downOnExit = Thread.ofPlatform().unstarted(this::down);
    }

    /** Starts the part, returning once the script says it is ready; {@code workDir} keeps the script's output. */
    static HaLocal up(String part, Path workDir) throws Exception {
        int[] offsets = part.equals("postgres") ? new int[] {1, 2, 11, 12, 20, 21} : new int[] {31, 32, 41, 42, 43};
        HaLocal set = new HaLocal(freePortBase(offsets), workDir);
        Runtime.getRuntime().addShutdownHook(set.downOnExit);
        try {
            set.printed = set.run(Duration.ofSeconds(120), UP.toString(), part);
        } catch (Exception | AssertionError e) {
            set.close();
            throw e;
        }
        return set;
    }

    /** The value of a variable the script printed, such as ALLOCATION_DB_URL. */
    String printed(String variable) {
        return printed.lines().filter(line -> line.startsWith(variable + "=")).findFirst()
                .orElseThrow(() -> new AssertionError("no " + variable + " in: " + printed))
                .substring(variable.length() + 1);
    }

    /** The pid in the set's pid file of that name (patroni1, redis2, ...). */
    long pid(String name) throws IOException {
        return Long.parseLong(Files.readString(dir.resolve(name + ".pid")).strip());
    }

    static void signal(String signal, long pid) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor())
                .as("kill -%s %d", signal, pid).isZero();
    }

    @Override
    public void close() {
        down();
        try {
            Runtime.getRuntime().removeShutdownHook(downOnExit);
        } catch (IllegalStateException exiting) {
            // the JVM is exiting: the hook runs down (again, harmlessly)
        }
    }

    private void down() {
        try {
            run(Duration.ofSeconds(60), DOWN.toString());
        } catch (Exception | AssertionError e) {
            System.out.println("ops/ha-local/down failed: " + e);
        }
    }

    /** Runs the script with this set's HA_DIR and HA_PORT_BASE; its stdout (stderr goes to the test's output). */
    private String run(Duration within, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("HA_DIR", dir.toString());
        builder.environment().put("HA_PORT_BASE", Integer.toString(base));
        Path output = Files.createTempFile(workDir, "script", ".out");
        Process process = builder.redirectOutput(output.toFile()).start();
        if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + within);
        }
        String out = Files.readString(output);
        assertThat(process.exitValue()).as(String.join(" ", command) + ": " + out).isZero();
        return out;
    }

    /**
     * A port base in 20000..32600 whose ports at these offsets are all free now: below Linux's
     * ephemeral ports (from 32768), so no outgoing connection takes one meanwhile.
     */
    private static int freePortBase(int... offsets) {
        for (int attempt = 0; attempt < 50; attempt++) {
            int candidate = 20_000 + 100 * ThreadLocalRandom.current().nextInt(127);
            if (IntStream.of(offsets).allMatch(offset -> free(candidate + offset))) {
                return candidate;
            }
        }
        throw new IllegalStateException("no free port base found");
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException taken) {
            return false;
        }
    }
}
