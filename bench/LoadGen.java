import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * The benchmark's HTTP load generator and helpers, JDK only (run as {@code java bench/LoadGen.java <mode> ...}).
 *
 * <p>Each virtual thread owns one keep-alive HTTP/1.1 connection and sends requests back to back
 * (closed loop): concurrency = number of connections = requests in flight. Latencies are kept in full
 * (microseconds, one long per request) and sorted at the end, so percentiles are exact.
 *
 * <pre>
 * seed      --port P --skus 100 [--qty 1000000000]        100 SKUs, one warehouse batch + 1 or 2 shipments each
 * allocate  --port P --concurrency C --seconds S --skus 100 [--hot] --run ID --ok FILE [--service-pid PID --clk-tck 100]
 *           [--metrics-ports P1,P2]                   with several instances: --service-pid PID1,PID2 and their ports
 *                                                       POST /allocate, unique orderids, random SKUs; 2xx (orderid,batchref) to FILE
 *           [--timeline FILE] [--answers FILE]        per second: 2xx, 503, other; every answer's time and status
 *                                                       (see {@link #writeAnswers}; bench/failover reads them)
 * get       --port P --concurrency C --seconds S --path /health [--service-pid PID --clk-tck 100]
 *                                                       the generator's own ceiling against a cheap endpoint
 *                                                       (every response counts, whatever its status)
 * wrk       the options of allocate, or of get with --path: the same load sent by wrk (see {@link #wrk});
 *           --unanswered FILE: the orderids of the requests in flight when wrk stopped
 * readcheck --port P --ok FILE --sample N               GET /allocations/{orderid} agrees with what /allocate answered
 * startup   --jar J --runs 5                            process start to first 200 from /health, embedded defaults
 *           --command "C" [--target DIR]              the same for a shell command line (the README's), run as typed
 * </pre>
 * Result lines go to stdout as {@code key=value} pairs; the progress line goes to stderr.
 *
 * <p>{@code allocate} and {@code get} also read, at the start and the end of the load, the CPU time
 * (utime + stime, and cutime + cstime for the backends PostgreSQL has reaped) of the generator itself,
 * of the service ({@code --service-pid}) and of every process named {@code postgres}, from
 * {@code /proc/<pid>/stat} in clock ticks of {@code --clk-tck} ({@code getconf CLK_TCK}), and the
 * service's group-commit and command-retry counters from {@code GET /metrics}; they report CPU
 * milliseconds per answered request, the mean number of commands per commit group and the commands
 * retried after a version conflict per 2xx allocation ({@code n/a} when a figure is missing). With
 * several instances ({@code --service-pid} and {@code --metrics-ports} as comma-separated lists) the
 * CPU and the counters are summed over them.
 */
public final class LoadGen {

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: java bench/LoadGen.java seed|allocate|get|readcheck|startup [--opt value]...");
            System.exit(2);
        }
        Map<String, String> o = options(Arrays.copyOfRange(args, 1, args.length));
        switch (args[0]) {
            case "seed" -> seed(o);
            case "allocate", "get" -> load(args[0], o);
            case "wrk" -> wrk(o);
            case "readcheck" -> readCheck(o);
            case "startup" -> startup(o);
            default -> {
                System.err.println("unknown mode " + args[0]);
                System.exit(2);
            }
        }
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option, got " + args[i]);
            }
            String key = args[i].substring(2);
            if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                o.put(key, args[++i]);
            } else {
                o.put(key, "true");
            }
        }
        return o;
    }

    static String sku(int i) {
        return String.format("BENCH-SKU-%03d", i);
    }

    // ---------------------------------------------------------------- HTTP/1.1 keep-alive connection

    record Response(int status, String body) {
    }

    static final class Connection implements AutoCloseable {
        private final String host;
        private final int port;
        private Socket socket;
        private OutputStream out;
        private InputStream in;

        Connection(String host, int port) {
            this.host = host;
            this.port = port;
        }

        Response send(String method, String path, String json) throws IOException {
            for (int attempt = 0; ; attempt++) {
                try {
                    if (socket == null) {
                        open();
                    }
                    byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
                    String head = method + " " + path + " HTTP/1.1\r\nHost: " + host + ":" + port
                            + "\r\nConnection: keep-alive\r\n"
                            + (json == null ? "" : "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n")
                            + "\r\n";
                    byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
                    byte[] req = Arrays.copyOf(h, h.length + body.length);
                    System.arraycopy(body, 0, req, h.length, body.length);
                    out.write(req);
                    out.flush();
                    return read();
                } catch (IOException e) {
                    close();
                    // A keep-alive connection the server closed while idle: one retry on a fresh one.
                    if (attempt > 0) {
                        throw e;
                    }
                }
            }
        }

        private void open() throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), 5_000);
            socket.setSoTimeout(60_000);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream(), 8192);
        }

        private Response read() throws IOException {
            String status = line();
            if (status == null) {
                throw new IOException("connection closed");
            }
            int code = Integer.parseInt(status.substring(9, 12));
            int length = -1;
            boolean chunked = false;
            boolean close = false;
            for (String l; !(l = line()).isEmpty(); ) {
                int colon = l.indexOf(':');
                String name = l.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = l.substring(colon + 1).trim();
                switch (name) {
                    case "content-length" -> length = Integer.parseInt(value);
                    case "transfer-encoding" -> chunked = value.equalsIgnoreCase("chunked");
                    case "connection" -> close = value.equalsIgnoreCase("close");
                    default -> { }
                }
            }
            byte[] body;
            if (chunked) {
                var buf = new java.io.ByteArrayOutputStream();
                for (int n; (n = Integer.parseInt(line().split(";")[0].trim(), 16)) > 0; ) {
                    buf.write(in.readNBytes(n));
                    line();
                }
                while (!line().isEmpty()) {
                    // trailers
                }
                body = buf.toByteArray();
            } else if (length >= 0) {
                body = in.readNBytes(length);
            } else {
                body = in.readAllBytes();
                close = true;
            }
            if (close) {
                close();
            }
            return new Response(code, new String(body, StandardCharsets.UTF_8));
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder(64);
            for (int c; (c = in.read()) != -1; ) {
                if (c == '\n') {
                    int n = sb.length();
                    return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
                }
                sb.append((char) c);
            }
            if (sb.isEmpty()) {
                return null;
            }
            throw new IOException("truncated response");
        }

        @Override
        public void close() {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
            socket = null;
        }
    }

    // ---------------------------------------------------------------- seed

    static void seed(Map<String, String> o) throws Exception {
        int port = Integer.parseInt(o.get("port"));
        int skus = Integer.parseInt(o.getOrDefault("skus", "100"));
        String qty = o.getOrDefault("qty", "1000000000");
        int threads = 8;
        List<Thread> workers = new ArrayList<>();
        AtomicBoolean failed = new AtomicBoolean();
        for (int t = 0; t < threads; t++) {
            int first = t;
            workers.add(Thread.ofVirtual().start(() -> {
                try (Connection c = new Connection("127.0.0.1", port)) {
                    for (int i = first; i < skus; i += threads) {
                        String s = sku(i);
                        List<String> batches = new ArrayList<>();
                        batches.add("{\"ref\":\"" + s + "-W\",\"sku\":\"" + s + "\",\"qty\":" + qty + ",\"eta\":null}");
                        batches.add("{\"ref\":\"" + s + "-S1\",\"sku\":\"" + s + "\",\"qty\":" + qty + ",\"eta\":\"2030-01-01\"}");
                        if (i % 2 == 1) {
                            batches.add("{\"ref\":\"" + s + "-S2\",\"sku\":\"" + s + "\",\"qty\":" + qty + ",\"eta\":\"2030-02-01\"}");
                        }
                        for (String b : batches) {
                            Response r = c.send("POST", "/add_batch", b);
                            if (r.status() / 100 != 2) {
                                System.err.println("seed: " + r.status() + " " + r.body() + " for " + b);
                                failed.set(true);
                            }
                        }
                    }
                } catch (IOException e) {
                    System.err.println("seed: " + e);
                    failed.set(true);
                }
            }));
        }
        for (Thread w : workers) {
            w.join();
        }
        if (failed.get()) {
            System.exit(1);
        }
        System.out.println("seeded=" + skus);
    }

    // ---------------------------------------------------------------- load

    static final class Worker {
        long[] latencies = new long[4096];
        int count;
        long ok;
        long non2xx;
        long errors;
        final StringBuilder okLines = new StringBuilder();
        final Map<Integer, Long> statuses = new HashMap<>();

        void record(long micros) {
            if (count == latencies.length) {
                latencies = Arrays.copyOf(latencies, count * 2);
            }
            latencies[count++] = micros;
        }

        /** With --timeline or --answers: when each answer came (microseconds since the start), and its status. */
        long[] answeredAt = new long[0];
        int[] answerStatus = new int[0];
        int answers;

        void answered(long micros, int status) {
            if (answers == answeredAt.length) {
                answeredAt = Arrays.copyOf(answeredAt, Math.max(4096, answers * 2));
                answerStatus = Arrays.copyOf(answerStatus, answeredAt.length);
            }
            answeredAt[answers] = micros;
            answerStatus[answers++] = status;
        }
    }

    static void load(String mode, Map<String, String> o) throws Exception {
        int port = Integer.parseInt(o.get("port"));
        int concurrency = Integer.parseInt(o.getOrDefault("concurrency", "8"));
        double seconds = Double.parseDouble(o.getOrDefault("seconds", "20"));
        int skus = Integer.parseInt(o.getOrDefault("skus", "100"));
        boolean hot = o.containsKey("hot");
        String run = o.getOrDefault("run", "r" + System.currentTimeMillis());
        String path = o.getOrDefault("path", "/health");
        Path okFile = o.containsKey("ok") ? Path.of(o.get("ok")) : null;
        boolean quiet = o.containsKey("quiet");
        boolean allocate = mode.equals("allocate");
        Path timeline = o.containsKey("timeline") ? Path.of(o.get("timeline")) : null;
        Path answersFile = o.containsKey("answers") ? Path.of(o.get("answers")) : null;
        boolean timed = timeline != null || answersFile != null;

        Measured measured = Measured.of(o, port);
        double tick = 1000.0 / Integer.parseInt(o.getOrDefault("clk-tck", "100"));
        Usage before = Usage.read(measured);

        Worker[] workers = new Worker[concurrency];
        LongAdder done = new LongAdder();
        LongAdder bad = new LongAdder();
        CountDownLatch finished = new CountDownLatch(concurrency);
        long startEpochMillis = System.currentTimeMillis();
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        for (int w = 0; w < concurrency; w++) {
            Worker worker = workers[w] = new Worker();
            int id = w;
            Thread.ofVirtual().start(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                try (Connection c = new Connection("127.0.0.1", port)) {
                    for (long seq = 0; System.nanoTime() < end; seq++) {
                        String orderid = run + "-" + id + "-" + seq;
                        String sku = sku(hot ? 0 : random.nextInt(skus));
                        long t0 = System.nanoTime();
                        Response r;
                        try {
                            r = allocate
                                    ? c.send("POST", "/allocate",
                                            "{\"orderid\":\"" + orderid + "\",\"sku\":\"" + sku + "\",\"qty\":1}")
                                    : c.send("GET", path, null);
                        } catch (IOException e) {
                            worker.errors++;
                            bad.increment();
                            if (timed) {
                                worker.answered((System.nanoTime() - start) / 1000, NO_ANSWER);
                            }
                            continue;
                        }
                        long t1 = System.nanoTime();
                        worker.record((t1 - t0) / 1000);
                        if (timed) {
                            worker.answered((t1 - start) / 1000, r.status());
                        }
                        done.increment();
                        if (r.status() / 100 == 2 || !allocate) {
                            worker.ok++;
                            if (allocate && okFile != null) {
                                worker.okLines.append(orderid).append('\t').append(batchref(r.body())).append('\n');
                            }
                        } else {
                            worker.non2xx++;
                            worker.statuses.merge(r.status(), 1L, Long::sum);
                            bad.increment();
                        }
                    }
                } finally {
                    finished.countDown();
                }
            });
        }
        long lastDone = 0;
        long lastTick = start;
        while (!finished.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
            long now = System.nanoTime();
            long d = done.sum();
            if (!quiet) {
                System.err.printf("\r  %-8s c=%-3d %5.1fs/%-4.0f %8.0f req/s  done=%d  non2xx/errors=%d   ",
                        allocate ? (hot ? "hot" : "allocate") : "GET " + path, concurrency,
                        (now - start) / 1e9, seconds, (d - lastDone) / ((now - lastTick) / 1e9), d, bad.sum());
            }
            lastDone = d;
            lastTick = now;
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        Usage after = Usage.read(measured);
        if (!quiet) {
            System.err.print("\r" + " ".repeat(100) + "\r");
        }
        long ok = 0;
        long non2xx = 0;
        long errors = 0;
        int total = 0;
        Map<Integer, Long> statuses = new HashMap<>();
        for (Worker w : workers) {
            ok += w.ok;
            non2xx += w.non2xx;
            errors += w.errors;
            total += w.count;
            w.statuses.forEach((k, v) -> statuses.merge(k, v, Long::sum));
        }
        long[] all = new long[total];
        int at = 0;
        for (Worker w : workers) {
            System.arraycopy(w.latencies, 0, all, at, w.count);
            at += w.count;
        }
        Arrays.sort(all);
        if (okFile != null) {
            try (var out = Files.newBufferedWriter(okFile)) {
                for (Worker w : workers) {
                    out.append(w.okLines);
                }
            }
        }
        if (timed) {
            writeAnswers(workers, startEpochMillis, timeline, answersFile);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("ok", ok);
        result.put("non2xx", non2xx + errors);
        result.put("rps", String.format(Locale.ROOT, "%.1f", ok / elapsed));
        result.put("p50_ms", ms(percentile(all, 50)));
        result.put("p90_ms", ms(percentile(all, 90)));
        result.put("p99_ms", ms(percentile(all, 99)));
        result.put("max_ms", ms(all.length == 0 ? 0 : all[all.length - 1]));
        result.put("seconds", String.format(Locale.ROOT, "%.2f", elapsed));
        result.put("statuses", statuses.isEmpty() ? "-" : statuses.toString().replace(" ", ""));
        print(result, before, after, ok, total, measured.any(), tick);
    }

    /** The status an I/O error is recorded with in --timeline and --answers (no answer came). */
    static final int NO_ANSWER = 0;

    /**
     * {@code --timeline}: one line per second since the start (second, 2xx, 503, other answers, I/O
     * errors counted as other) by the second each answer came in. {@code --answers}: every answer in
     * the order they came, as microseconds since the start and the HTTP status (0: an I/O error). Both
     * begin with a comment line giving the start in epoch milliseconds, to place other events on them.
     */
    static void writeAnswers(Worker[] workers, long startEpochMillis, Path timeline, Path answersFile) throws IOException {
        int n = 0;
        for (Worker w : workers) {
            n += w.answers;
        }
        long[] keys = new long[n];   // time * 1024 + status (below 1024): sorted by time
        int at = 0;
        for (Worker w : workers) {
            for (int i = 0; i < w.answers; i++) {
                keys[at++] = w.answeredAt[i] * 1024 + w.answerStatus[i];
            }
        }
        Arrays.sort(keys);
        String head = "# start_epoch_ms=" + startEpochMillis;
        if (answersFile != null) {
            try (var out = Files.newBufferedWriter(answersFile)) {
                out.append(head).append(" microseconds_since_start status (0: no answer, an I/O error)\n");
                for (long k : keys) {
                    out.append(Long.toString(k / 1024)).append('\t').append(Integer.toString((int) (k % 1024))).append('\n');
                }
            }
        }
        if (timeline != null) {
            int seconds = n == 0 ? 0 : (int) (keys[n - 1] / 1024 / 1_000_000) + 1;
            long[][] counts = new long[seconds][3];
            for (long k : keys) {
                int status = (int) (k % 1024);
                counts[(int) (k / 1024 / 1_000_000)][status / 100 == 2 ? 0 : status == 503 ? 1 : 2]++;
            }
            try (var out = Files.newBufferedWriter(timeline)) {
                out.append(head).append(" second 2xx 503 other\n");
                for (int s = 0; s < seconds; s++) {
                    out.append(s + "\t" + counts[s][0] + "\t" + counts[s][1] + "\t" + counts[s][2] + "\n");
                }
            }
        }
    }

    /** Prints the result line: the load's figures, then CPU per request and the mean group between two readings. */
    static void print(Map<String, Object> result, Usage before, Usage after, long ok, long requests, boolean service,
                      double tick) {
        result.put("cpu_jvm_ms", perRequest((after.service() - before.service()) * tick, ok, service));
        result.put("cpu_pg_ms", perRequest((after.postgres() - before.postgres()) * tick, ok, service));
        result.put("cpu_gen_ms", perRequest((after.generator() - before.generator()) * tick, requests, true));
        double groups = after.groups() - before.groups();
        result.put("group_mean", Double.isNaN(groups) || groups <= 0 ? "n/a"
                : String.format(Locale.ROOT, "%.2f", (after.groupedCommands() - before.groupedCommands()) / groups));
        double retries = after.retries() - before.retries();
        result.put("retries", Double.isNaN(retries) ? "n/a" : String.format(Locale.ROOT, "%.0f", retries));
        result.put("retries_per_alloc", Double.isNaN(retries) || ok == 0 ? "n/a" : String.format(Locale.ROOT, "%.4f", retries / ok));
        StringBuilder line = new StringBuilder();
        result.forEach((k, v) -> line.append(k).append('=').append(v).append(' '));
        System.out.println(line.toString().trim());
    }

    /**
     * The load of {@code allocate} (or of {@code get} with {@code --path}) sent by wrk and
     * {@code bench/wrk-allocate.lua}, which cost less CPU per request than this class; the same options
     * and result line. The generator's CPU is wrk's, reaped by this process.
     */
    static void wrk(Map<String, String> o) throws Exception {
        int port = Integer.parseInt(o.get("port"));
        String concurrency = o.getOrDefault("concurrency", "8");
        Measured measured = Measured.of(o, port);
        double tick = 1000.0 / Integer.parseInt(o.getOrDefault("clk-tck", "100"));
        Path okFile = o.containsKey("ok") ? Path.of(o.get("ok")) : null;
        ProcessBuilder pb = new ProcessBuilder("wrk", "-t" + concurrency, "-c" + concurrency,
                "-d" + o.getOrDefault("seconds", "20") + "s", "--timeout", "60s", "-s",
                o.getOrDefault("script", "bench/wrk-allocate.lua"), "http://127.0.0.1:" + port)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        Map<String, String> env = pb.environment();
        env.put("BENCH_RUN", o.getOrDefault("run", "r" + System.currentTimeMillis()));
        env.put("BENCH_SKUS", o.getOrDefault("skus", "100"));
        env.put("BENCH_HOT", o.containsKey("hot") ? "1" : "0");
        if (okFile != null) {
            env.put("BENCH_OK", okFile + ".wrk");
        }
        if (o.containsKey("path")) {
            env.put("BENCH_PATH", o.get("path"));
        }
        if (o.containsKey("unanswered")) {
            env.put("BENCH_UNANSWERED", o.get("unanswered"));
        }
        Usage before = Usage.read(measured);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        Usage after = Usage.read(measured);
        String summary = out.lines().filter(l -> l.startsWith("ok=")).findFirst().orElse(null);
        if (rc != 0 || summary == null) {
            System.err.println("wrk failed (exit " + rc + "):\n" + out);
            System.exit(1);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        for (String kv : summary.split(" ")) {
            result.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        long ok = Long.parseLong((String) result.get("ok"));
        long non2xx = Long.parseLong((String) result.get("non2xx"));
        result.put("rps", String.format(Locale.ROOT, "%.1f", ok / Double.parseDouble((String) result.get("seconds"))));
        result.put("statuses", "-");
        if (okFile != null) {
            try (var okOut = Files.newBufferedWriter(okFile)) {
                for (int t = 0; t < Integer.parseInt(concurrency); t++) {
                    Path part = Path.of(okFile + ".wrk." + t);
                    okOut.append(Files.readString(part));
                    Files.delete(part);
                }
            }
        }
        print(result, before, after, ok, ok + non2xx, measured.any(), tick);
    }

    static String perRequest(double millis, long requests, boolean measured) {
        return measured && requests > 0 ? String.format(Locale.ROOT, "%.3f", millis / requests) : "n/a";
    }

    /**
     * The service's JVMs whose CPU is read ({@code --service-pid}, none when absent) and the ports whose
     * {@code /metrics} are read (their {@code --metrics-ports}, else the port under load).
     */
    record Measured(long[] pids, int[] metricsPorts) {

        static Measured of(Map<String, String> o, int port) {
            String pids = o.getOrDefault("service-pid", "");
            Measured m = new Measured(pids.isBlank() || pids.equals("-1") ? new long[0] : Arrays.stream(pids.split(",")).mapToLong(Long::parseLong).toArray(),
                    Arrays.stream(o.getOrDefault("metrics-ports", String.valueOf(port)).split(",")).mapToInt(Integer::parseInt).toArray());
            if (m.any() && m.pids().length != m.metricsPorts().length) {
                throw new IllegalArgumentException("--service-pid and --metrics-ports name different numbers of instances");
            }
            return m;
        }

        boolean any() {
            return pids.length > 0;
        }
    }

    /**
     * CPU clock ticks so far (see the class comment) and the counters of the group commit and of the
     * command retries, summed over the measured instances (NaN when absent).
     */
    record Usage(long generator, long service, long postgres, double groups, double groupedCommands, double retries) {

        /** The retries counter: a gauge today ({@code allocation_command_retries}), {@code _total} if it becomes a counter. */
        static final List<String> COUNTERS = List.of("allocation_commit_groups_total", "allocation_commit_grouped_commands_total",
                "allocation_command_retries", "allocation_command_retries_total");

        static Usage read(Measured measured) throws IOException {
            long postgres = 0;
            if (measured.any()) {
                try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
                    for (Path p : procs.filter(d -> d.getFileName().toString().matches("\\d+")).toList()) {
                        String stat = stat(p);
                        if (stat != null && stat.contains(" (postgres) ")) {
                            postgres += ticks(stat);
                        }
                    }
                }
            }
            Map<String, Double> counters = new HashMap<>();
            long service = 0;
            for (int i = 0; i < measured.pids().length; i++) {
                try (Connection c = new Connection("127.0.0.1", measured.metricsPorts()[i])) {
                    for (String l : c.send("GET", "/metrics", null).body().split("\n")) {
                        String[] f = l.split("[{ ]", 2);
                        if (COUNTERS.contains(f[0])) {
                            counters.merge(f[0].startsWith("allocation_command_retries") ? "retries" : f[0],
                                    Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)), Double::sum);
                        }
                    }
                }
                String stat = stat(Path.of("/proc", String.valueOf(measured.pids()[i])));
                service += stat == null ? 0 : ticks(stat);
            }
            return new Usage(ticks(stat(Path.of("/proc/self"))), service, postgres,
                    counters.getOrDefault("allocation_commit_groups_total", Double.NaN),
                    counters.getOrDefault("allocation_commit_grouped_commands_total", Double.NaN),
                    counters.getOrDefault("retries", Double.NaN));
        }

        private static String stat(Path proc) {
            try {
                return Files.readString(proc.resolve("stat"));
            } catch (IOException gone) {
                return null;
            }
        }

        /** utime + stime + cutime + cstime: fields 14 to 17, counted after the command name's ')'. */
        private static long ticks(String stat) {
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
        }
    }

    static String batchref(String body) {
        int i = body.indexOf("\"batchref\"");
        if (i < 0) {
            return "?";
        }
        int q1 = body.indexOf('"', body.indexOf(':', i) + 1);
        return body.substring(q1 + 1, body.indexOf('"', q1 + 1));
    }

    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    static String ms(long micros) {
        return String.format(Locale.ROOT, "%.2f", micros / 1000.0);
    }

    // ---------------------------------------------------------------- read model check

    static void readCheck(Map<String, String> o) throws Exception {
        int port = Integer.parseInt(o.get("port"));
        int sample = Integer.parseInt(o.getOrDefault("sample", "200"));
        List<String> lines = Files.readAllLines(Path.of(o.get("ok")));
        int mismatches = 0;
        int checked = 0;
        try (Connection c = new Connection("127.0.0.1", port)) {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            for (int i = 0; i < Math.min(sample, lines.size()); i++) {
                String[] f = lines.get(lines.size() <= sample ? i : random.nextInt(lines.size())).split("\t");
                Response r = c.send("GET", "/allocations/" + f[0], null);
                checked++;
                if (r.status() != 200 || !r.body().contains("\"batchref\":\"" + f[1] + "\"")
                        || r.body().indexOf("batchref") != r.body().lastIndexOf("batchref")) {
                    mismatches++;
                    if (mismatches <= 5) {
                        System.err.println("read model: " + f[0] + " expected " + f[1] + ", got " + r.status() + " " + r.body());
                    }
                }
            }
        }
        System.out.println("checked=" + checked + " mismatches=" + mismatches);
        if (mismatches > 0) {
            System.exit(1);
        }
    }

    // ---------------------------------------------------------------- start-up

    static void startup(Map<String, String> o) throws Exception {
        String jar = o.containsKey("jar") ? Path.of(o.get("jar")).toAbsolutePath().toString() : null;
        // --command: a shell command line run as typed (the README's), in a fresh directory whose
        // target/ is the repository's, so its relative paths hold and its ./data is a new one.
        String command = o.get("command");
        Path target = Path.of(o.getOrDefault("target", "target")).toAbsolutePath();
        int runs = Integer.parseInt(o.getOrDefault("runs", "5"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> flags = o.containsKey("flags") && !o.get("flags").isBlank()
                ? List.of(o.get("flags").trim().split("\\s+")) : List.of();
        long[] millis = new long[runs];
        long[] cpuMillis = new long[runs];
        for (int r = 0; r < runs; r++) {
            int port;
            try (var s = new java.net.ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Path dir = Files.createTempDirectory("allocation-startup");
            List<String> cmd = new ArrayList<>();
            if (command != null) {
                Files.createSymbolicLink(dir.resolve("target"), target);
                cmd.addAll(List.of("bash", "-c", "exec " + command));
            } else {
                cmd.add(java);
                cmd.addAll(flags);
                cmd.addAll(List.of("-jar", jar));
            }
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("out.log").toFile());
            pb.environment().keySet().removeIf(k -> k.startsWith("ALLOCATION_"));
            pb.environment().put("ALLOCATION_HTTP_PORT", String.valueOf(port));
            long t0 = System.nanoTime();
            Process p = pb.start();
            long elapsed = -1;
            while (System.nanoTime() - t0 < 30_000_000_000L && p.isAlive()) {
                try (Connection c = new Connection("127.0.0.1", port)) {
                    if (c.send("GET", "/health", null).status() == 200) {
                        elapsed = (System.nanoTime() - t0) / 1_000_000;
                        cpuMillis[r] = cpuMillis(p.pid());
                        break;
                    }
                } catch (IOException notYet) {
                    Thread.sleep(5);
                }
            }
            p.destroy();
            p.waitFor();
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
            millis[r] = elapsed < 0 ? 99_999 : elapsed;
            System.err.println("  start-up run " + (r + 1) + ": " + millis[r] + " ms (" + cpuMillis[r] + " ms of CPU)");
        }
        long[] sorted = millis.clone();
        Arrays.sort(sorted);
        long[] cpuSorted = cpuMillis.clone();
        Arrays.sort(cpuSorted);
        System.out.println("startup_median_ms=" + sorted[runs / 2] + " runs_ms=" + Arrays.toString(millis).replace(" ", "")
                + " cpu_median_ms=" + cpuSorted[runs / 2]);
    }

    /** User and system CPU the process used so far (Linux, 100 ticks a second), or -1. */
    static long cpuMillis(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
