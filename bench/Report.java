import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Turns a benchmark run's raw results ({@code raw/results.tsv}, {@code raw/meta.txt}) into the
 * terminal table, {@code report.md} and {@code plot.svg}; with a path to docs/benchmark.md, rewrites its
 * table between {@code <!-- bench:begin -->} and {@code <!-- bench:end -->}. JDK only:
 * {@code java bench/Report.java bench/results/<run> [docs/benchmark.md]}.
 */
public final class Report {

    record Row(int rep, String scenario, int concurrency, String subject, double rps, String p50, String p90,
               String p99, String non2xx, String check, String cpuJvm, String cpuPg, String cpuGen, String group,
               String retries) {
    }

    /**
     * Medians over repeats of one (scenario, concurrency, subject); CPU in milliseconds per allocation
     * (generator: per request), group = mean commands per commit group, retries = commands retried
     * after a version conflict per allocation; NaN when not measured.
     */
    record Cell(double rps, double p50, double p90, double p99, long non2xx, boolean checked, boolean ok,
                double cpuJvm, double cpuPg, double cpuGen, double group, double retries) {

        /** The columns both tables share: alloc/s, latency, non-2xx, check, CPU, group, generator CPU. */
        String columns() {
            return String.format(Locale.ROOT, "| %.0f | %.1f / %.1f / %.1f | %d | %s | %s | %s | %s ",
                    rps, p50, p90, p99, non2xx, !checked ? "-" : ok ? "OK" : "FAILED",
                    Double.isNaN(cpuJvm) ? "n/a" : String.format(Locale.ROOT, "%.2f + %.2f = %.2f", cpuJvm, cpuPg, cpuJvm + cpuPg),
                    Double.isNaN(group) ? "n/a" : String.format(Locale.ROOT, "%.1f", group),
                    Double.isNaN(cpuGen) ? "n/a" : String.format(Locale.ROOT, "%.3f", cpuGen));
        }
    }

    static final String COLUMNS = "p50 / p90 / p99 ms | non-2xx | check | CPU ms/alloc JVM + PG | mean group | generator CPU ms/req";
    static final String BLANK = "| | | | | | | ";

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Map<String, String> meta = new LinkedHashMap<>();
        for (String l : Files.readAllLines(dir.resolve("raw/meta.txt"))) {
            int eq = l.indexOf('=');
            meta.put(l.substring(0, eq), l.substring(eq + 1));
        }
        List<Row> rows = new ArrayList<>();
        List<String> lines = Files.readAllLines(dir.resolve("raw/results.tsv"));
        for (String l : lines.subList(1, lines.size())) {
            String[] f = l.split("\t", -1);
            rows.add(new Row(Integer.parseInt(f[0]), f[1], Integer.parseInt(f[2]), f[3], num(f[4]), f[5], f[6], f[7], f[8], f[9],
                    f[10], f[11], f[12], f[13], f.length > 14 ? f[14] : ""));
        }
        TreeSet<Integer> conc = new TreeSet<>();
        rows.stream().filter(r -> r.scenario().equals("spread")).forEach(r -> conc.add(r.concurrency()));

        StringBuilder table = new StringBuilder();
        table.append("| concurrency | service alloc/s | " + COLUMNS + " | (a) service SQL alloc/s | (b) book SQL alloc/s | service ÷ (a), target ≥ 1.5 (≥ 1.0 below c=32) | service ÷ (b), target ≥ 3 |\n");
        table.append("|---:|---:|---:|---:|:--|---:|---:|---:|---:|---:|---:|---:|\n");
        List<String> targets = new ArrayList<>();
        boolean spreadMet = true;
        String cpuLine = null;
        double[] sv = new double[conc.size()];
        double[] av = new double[conc.size()];
        double[] bv = new double[conc.size()];
        double[][] lat = new double[3][conc.size()];
        int i = 0;
        for (int c : conc) {
            Cell s = cell(rows, "spread", c, "service");
            Cell a = cell(rows, "spread", c, "a");
            Cell b = cell(rows, "spread", c, "b");
            double ra = s.rps() / a.rps();
            double rb = s.rps() / b.rps();
            double aTarget = c >= 32 ? 1.5 : 1.0;
            boolean met = ra >= aTarget && rb >= 3 && s.non2xx() == 0 && s.ok();
            spreadMet &= met;
            table.append("| " + c + " " + s.columns()).append(String.format(Locale.ROOT, "| %.0f | %.0f | **%.2f** %s | **%.2f** %s |\n",
                    a.rps(), b.rps(), ra, ra >= aTarget ? "met" : "not met", rb, rb >= 3 ? "met" : "not met"));
            if (c == 32 && !Double.isNaN(s.cpuJvm())) {
                double cpu = s.cpuJvm() + s.cpuPg();
                cpuLine = line("6. CPU per allocation at concurrency 32, JVM + PostgreSQL ≤ 0.5 ms", cpu <= 0.5,
                        String.format(Locale.ROOT, "%.2f ms (JVM %.2f + PostgreSQL %.2f)", cpu, s.cpuJvm(), s.cpuPg()));
            }
            sv[i] = s.rps();
            av[i] = a.rps();
            bv[i] = b.rps();
            lat[0][i] = s.p50();
            lat[1][i] = s.p90();
            lat[2][i] = s.p99();
            i++;
        }
        targets.add(line("1. Spread: service ≥ 1.5 × (a) at concurrency 32 and up, ≥ 1.0 × (a) below, ≥ 3 × (b) at every"
                + " concurrency, zero non-2xx", spreadMet, "see the table"));
        int maxC = conc.isEmpty() ? 0 : conc.last();
        StringBuilder other = new StringBuilder();
        other.append("| scenario | alloc/s | " + COLUMNS + " | ratio | target |\n|:--|---:|---:|---:|:--|---:|---:|---:|---:|:--|\n");
        Cell single = cell(rows, "single", 1, "service");
        Cell singleBefore = cell(rows, "single", 1, "baseline");
        if (single != null) {
            String ratio = singleBefore == null ? "" : String.format(Locale.ROOT, "p50 %.2f × baseline", single.p50() / singleBefore.p50());
            other.append("| concurrency 1 " + single.columns()).append("| " + ratio + " | p50 no worse than before"
                    + (singleBefore == null ? " (`--baseline-jar`)" : single.p50() <= singleBefore.p50() ? ": met" : ": not met") + " |\n");
        }
        List<Integer> baselineConc = new ArrayList<>(List.of(1));
        baselineConc.addAll(conc);
        for (int c : baselineConc) {
            Cell after = cell(rows, c == 1 ? "single" : "spread", c, "service");
            Cell before = cell(rows, c == 1 ? "single" : "spread", c, "baseline");
            if (after != null && before != null) {
                other.append("| baseline jar, concurrency " + c + " " + before.columns()).append(String.format(Locale.ROOT,
                        "| after ÷ before: %.2f × alloc/s, %.2f × p50 | |\n", after.rps() / before.rps(), after.p50() / before.p50()));
            }
        }
        int hotC = Integer.parseInt(meta.getOrDefault("hot_concurrency", "64"));
        Cell hot = cell(rows, "hot", hotC, "service");
        Cell spreadAtHot = cell(rows, "spread", hotC, "service");
        if (hot != null && spreadAtHot != null) {
            double r = hot.rps() / spreadAtHot.rps();
            boolean met = r >= 0.8 && hot.non2xx() == 0 && hot.ok();
            other.append("| hot SKU, c=" + hotC + " " + hot.columns()).append(String.format(Locale.ROOT,
                    "| %.2f × spread | ≥ 0.8, zero non-2xx: %s |\n", r, met ? "met" : "not met"));
            targets.add(line("2. Hot SKU: zero non-2xx and ≥ 0.8 × spread", met, String.format(Locale.ROOT, "%.2f × spread, %d non-2xx", r, hot.non2xx())));
        }
        Cell hotBefore = cell(rows, "hot", hotC, "baseline");
        if (hot != null && hotBefore != null) {
            other.append("| baseline jar, hot SKU, c=" + hotC + " " + hotBefore.columns()).append(String.format(Locale.ROOT,
                    "| after ÷ before: %.2f × alloc/s, %.2f × p50 | |\n", hot.rps() / hotBefore.rps(), hot.p50() / hotBefore.p50()));
        }
        int scenC = Integer.parseInt(meta.getOrDefault("scenario_concurrency", String.valueOf(maxC)));
        Cell empty = cell(rows, "spread", scenC, "service");
        List<String> volume = new ArrayList<>();
        boolean volumeMet = true;
        for (String[] v : new String[][] {{"backorders", meta.get("backorders") + " backorders waiting"},
                {"depleted", meta.get("depleted_per_sku") + " depleted batches per SKU"},
                {"history", meta.get("history") + " earlier allocations"}}) {
            Cell scenario = cell(rows, v[0], scenC, "service");
            if (scenario != null && empty != null) {
                double r = scenario.rps() / empty.rps();
                boolean met = r >= 0.9 && scenario.ok();
                volumeMet &= met;
                volume.add(String.format(Locale.ROOT, "%s %.2f ×", v[0], r));
                other.append("| " + v[1] + ", c=" + scenC + " " + scenario.columns()).append(String.format(Locale.ROOT,
                        "| %.2f × empty | ≥ 0.9: %s |\n", r, met ? "met" : "not met"));
            }
        }
        if (!volume.isEmpty()) {
            targets.add(line("3. Backorders, depleted batches, history: each ≥ 0.9 × the empty-database rate", volumeMet, String.join(", ", volume)));
        }
        for (String path : new String[] {"/bench-no-such-path", "/health"}) {
            Cell generator = cell(rows, "generator", maxC, "GET " + path);
            if (generator != null) {
                other.append("| load generator ceiling, GET " + path + ", c=" + maxC + " " + generator.columns()).append("| | |\n");
            }
        }
        String startup = meta.getOrDefault("startup", "");
        long startupMs = startup.contains("startup_median_ms=")
                ? Long.parseLong(startup.replaceAll(".*startup_median_ms=(\\d+).*", "$1")) : -1;
        String rssKb = meta.getOrDefault("rss_kb", "");
        double rssMb = rssKb.isBlank() ? -1 : Long.parseLong(rssKb.trim()) / 1024.0;
        if (startupMs >= 0) {
            other.append(String.format(Locale.ROOT, "| start-up to first 200 from /health (median) " + BLANK + "| %d ms | ≤ 1000 ms: %s |\n",
                    startupMs, startupMs <= 1000 ? "met" : "not met"));
        }
        String aot = meta.getOrDefault("startup_aot", "");
        long aotMs = aot.contains("startup_median_ms=")
                ? Long.parseLong(aot.replaceAll(".*startup_median_ms=(\\d+).*", "$1")) : -1;
        if (aotMs >= 0) {
            other.append(String.format(Locale.ROOT, "| start-up, the README's run command (`-XX:AOTCache`, median) " + BLANK + "| %d ms | ≤ 1000 ms: %s |\n",
                    aotMs, aotMs <= 1000 ? "met" : "not met"));
            startupMs = startupMs < 0 ? aotMs : Math.min(startupMs, aotMs);
        }
        if (rssMb >= 0) {
            other.append(String.format(Locale.ROOT, "| resident memory after the c=%d run " + BLANK + "| %.0f MB | ≤ 300 MB: %s |\n",
                    maxC, rssMb, rssMb <= 300 ? "met" : "not met"));
        }
        if (startupMs >= 0 || rssMb >= 0) {
            targets.add(line("4. Start-up ≤ 1 s and RSS ≤ 300 MB", startupMs >= 0 && startupMs <= 1000 && rssMb >= 0 && rssMb <= 300,
                    startupMs < 0 ? "not measured in this mode" : null,
                    (startupMs >= 0 ? startupMs + " ms" : "start-up not measured") + ", " + (rssMb >= 0 ? String.format(Locale.ROOT, "%.0f MB", rssMb) : "RSS not measured")));
        }
        if (cpuLine != null) {
            targets.add(cpuLine);
        }
        boolean failed = !"0".equals(meta.get("failed"));
        targets.add(line("5. Correct after every run (no over-allocation, every 2xx stored once, read model = write model)",
                !failed, failed ? "a check FAILED: see raw/checks.txt" : "all checks OK"));
        String instances = instances(rows, meta, targets);

        String date = meta.get("date");
        String header = String.format("Run of %s (%s mode, %s s per step, median of %s, commit %s). Load: %s. Figures are ratios to the database ceilings measured in the same run.",
                date, meta.get("mode"), meta.get("seconds"), meta.get("repeat"), meta.get("commit"), meta.get("load"));
        String summary = header + "\n\n" + table + "\n" + other + "\n" + instances + String.join("\n", targets) + "\n";

        StringBuilder md = new StringBuilder("# Allocation benchmark, " + date + (failed ? " — FAILED" : "") + "\n\n");
        md.append(summary).append("\n![throughput and latency](plot.svg)\n\n## Machine and settings\n\n");
        meta.forEach((k, v) -> md.append("- ").append(k).append(": ").append(v.isBlank() ? "-" : v).append('\n'));
        md.append("\n## How to read it\n\n")
                .append("- (a) is pgbench running the SQL the service issues for one allocation (`bench/pgbench/service_allocation.sql`), one allocation per transaction, at the same concurrency and SKU spread: what the database can do for our statement sequence with no HTTP and no JVM in the way. The service passing (a) means group commit does more with the database than one allocation per transaction can.\n")
                .append("- (b) is pgbench running the book's SQL shape (`bench/pgbench/book_allocation.sql`): a fixed reference that does not change when the service does.\n")
                .append("- The service, PostgreSQL and the load generator share the machine's cores; pgbench runs without the service's load, so (a) is a ceiling, not a like-for-like comparison.\n")
                .append("- CPU ms/alloc JVM + PG: CPU time (user + system, from `/proc/<pid>/stat`) of the service's JVM and of every PostgreSQL process (work of other databases on the same server included) over the measured load, divided by the allocations answered 2xx. Generator CPU ms/req: the load generator's own, per request. Mean group: commands per commit group, from the service's `/metrics` counters (n/a when it does not export them).\n")
                .append("- Instances: the jar run as " + meta.getOrDefault("instances", "-").trim().replace(" ", ", ").replaceFirst(", (\\d+)$", " and $1") + " instances on the one database, each with the flags and pool above, behind HAProxy (`raw/haproxy.cfg`: docs/haproxy.cfg's settings and routing, commands to the first instance with the others as its backups and reads round robin, a frontend per instance count), and the first instance also sent the load directly; spread load (100 SKUs) and the hot SKU's, each step on a freshly emptied database, every count in one run and each repeat in turn (reversed on even repeats). Each count is a ratio to one instance, directly and behind HAProxy. CPU per allocation sums the instances' JVMs (HAProxy's own CPU is not counted). Retries per allocation: the change of `allocation_command_retries` in the instances' `/metrics`, summed, over the step's 2xx allocations. Which servers HAProxy saw up, and the requests each got: `raw/haproxy-servers.txt`.\n")
                .append("- Raw figures of every repeat: `raw/results.tsv`; LoadGen output `raw/loadgen.txt`; pgbench logs `raw/pgbench-*.txt`; correctness checks `raw/checks.txt`.\n");
        Files.writeString(dir.resolve("report.md"), md);
        Files.writeString(dir.resolve("plot.svg"), svg(new ArrayList<>(conc), sv, av, bv, lat));
        System.out.println();
        System.out.println(summary);
        System.out.println("report: " + dir.resolve("report.md"));

        if (args.length > 1) {
            Path readme = Path.of(args[1]);
            String text = Files.readString(readme);
            String begin = "<!-- bench:begin -->";
            String end = "<!-- bench:end -->";
            int b = text.indexOf(begin);
            int e = text.indexOf(end);
            if (b < 0 || e < b) {
                System.err.println(readme + " has no " + begin + " ... " + end + " markers; not updated");
            } else {
                String rel = Path.of(args[1]).toAbsolutePath().getParent().relativize(dir.toAbsolutePath()).toString();
                String block = begin + "\n" + summary + "\nReport and plot: `" + rel + "/report.md` (results are not committed; `bench/results/` is ignored by git).\n" + end;
                Files.writeString(readme, text.substring(0, b) + block + text.substring(e + end.length()));
                System.out.println("Benchmark table updated in " + readme);
            }
        }
    }

    /**
     * The instances scenario (issue 19): a table of each load on one instance directly and on 1, 2, 3
     * instances behind HAProxy, each count as a ratio to one instance, and the targets, added to
     * {@code targets}. Empty when the run did not measure it.
     */
    /** Issue 19: n instances behind HAProxy ÷ one instance directly, at least. */
    static final Map<Integer, Double> TARGETS = Map.of(2, 0.85, 3, 0.8);

    static String instances(List<Row> rows, Map<String, String> meta, List<String> targets) {
        String skipped = meta.getOrDefault("instances_skipped", "");
        List<Integer> counts = meta.getOrDefault("instances", "-").equals("-") ? List.of()
                : java.util.Arrays.stream(meta.get("instances").trim().split(" +")).map(Integer::valueOf).toList();
        if (counts.isEmpty()) {
            targets.add(line("7.-11. Instances behind HAProxy (issue 19)", false, "not measured", skipped.isBlank() ? "not in this run" : skipped));
            return "";
        }
        StringBuilder t = new StringBuilder("| load | instances | alloc/s | " + COLUMNS
                + " | retries per alloc | ÷ one direct | ÷ one behind HAProxy | p99 ÷ one direct | target |\n"
                + "|:--|:--|---:|---:|---:|:--|---:|---:|---:|---:|---:|---:|---:|:--|\n");
        Map<Integer, List<String>> ratios = new java.util.TreeMap<>();
        List<String> p99s = new ArrayList<>();
        List<String> retries = new ArrayList<>();
        long non2xx = 0;
        double maxRetries = 0;
        boolean retriesKnown = true;
        boolean p99Met = true;
        Map<Integer, Boolean> ratioMet = new java.util.HashMap<>();
        for (String[] load : new String[][] {{"spread", "instances_spread_concurrency", "spread"}, {"hot", "instances_hot_concurrency", "hot SKU"}}) {
            int c = Integer.parseInt(meta.get(load[1]));
            String scenario = "instances-" + load[0];
            Cell one = cell(rows, scenario, c, "1-direct");
            Cell oneLb = cell(rows, scenario, c, "1-haproxy");
            if (one == null) {
                continue;
            }
            List<String> subjects = new ArrayList<>(List.of("1-direct"));
            counts.forEach(n -> subjects.add(n + "-haproxy"));
            for (String subject : subjects) {
                Cell x = cell(rows, scenario, c, subject);
                if (x == null) {
                    continue;
                }
                int n = Integer.parseInt(subject.substring(0, 1));
                boolean direct = subject.endsWith("direct");
                double r = x.rps() / one.rps();
                double p99 = x.p99() / one.p99();
                Double target = direct ? null : TARGETS.get(n);
                non2xx += x.non2xx();
                retriesKnown &= !Double.isNaN(x.retries());
                maxRetries = Math.max(maxRetries, Double.isNaN(x.retries()) ? 0 : x.retries());
                retries.add(String.format(Locale.ROOT, "%s %s %s", load[2], direct ? "direct" : n, Double.isNaN(x.retries()) ? "n/a" : String.format(Locale.ROOT, "%.3f", x.retries())));
                List<String> wanted = new ArrayList<>();
                boolean met = x.non2xx() == 0 && x.ok() && !(x.retries() >= 0.05);
                if (target != null) {
                    wanted.add(String.format(Locale.ROOT, "≥ %.2f × one", target));
                    met &= r >= target;
                    ratioMet.merge(n, r >= target, Boolean::logicalAnd);
                    ratios.computeIfAbsent(n, k -> new ArrayList<>()).add(String.format(Locale.ROOT, "%s %.2f", load[2], r));
                }
                if (n >= 2) {
                    wanted.add("p99 ≤ 2 × one");
                    met &= p99 <= 2;
                    p99Met &= p99 <= 2;
                    p99s.add(String.format(Locale.ROOT, "%s %d: %.2f ×", load[2], n, p99));
                }
                wanted.add("zero non-2xx, retries < 0.05");
                t.append("| " + load[2] + ", c=" + c + " | " + (direct ? "one, directly" : n + " behind HAProxy") + " " + x.columns())
                        .append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s: %s |\n",
                                Double.isNaN(x.retries()) ? "n/a" : String.format(Locale.ROOT, "%.3f", x.retries()),
                                direct ? "" : String.format(Locale.ROOT, "**%.2f**", r),
                                direct || oneLb == null ? "" : String.format(Locale.ROOT, "%.2f", x.rps() / oneLb.rps()),
                                direct ? "" : String.format(Locale.ROOT, "%.2f", p99),
                                String.join(", ", wanted), met ? "met" : "not met"));
            }
        }
        int spreadC = Integer.parseInt(meta.get("instances_spread_concurrency"));
        int hotC = Integer.parseInt(meta.get("instances_hot_concurrency"));
        for (int n : new int[] {3, 2}) {
            String what = String.format(Locale.ROOT, "%d. %s instances behind HAProxy ÷ one instance directly ≥ %.2f, spread at c=%d and hot SKU at c=%d",
                    n == 3 ? 7 : 8, n == 3 ? "Three" : "Two", TARGETS.get(n), spreadC, hotC);
            targets.add(ratios.containsKey(n) ? line(what, ratioMet.get(n), String.join(", ", ratios.get(n)))
                    : line(what, false, "not measured", "instances " + meta.get("instances")));
        }
        targets.add(p99s.isEmpty() ? line("9. p99 with several instances no more than twice one instance's", false, "not measured", "one instance only")
                : line("9. p99 with several instances no more than twice one instance's", p99Met, String.join(", ", p99s)));
        targets.add(line("10. Zero non-2xx, directly and behind HAProxy", non2xx == 0, non2xx + " non-2xx"));
        targets.add(line("11. Command retries below 0.05 per allocation", retriesKnown && maxRetries < 0.05,
                retriesKnown ? null : "not measured", String.join(", ", retries)));
        return t + "\n";
    }

    static String line(String what, boolean met, String figure) {
        return line(what, met, null, figure);
    }

    static String line(String what, boolean met, String unknown, String figure) {
        return "- " + what + ": **" + (unknown != null ? unknown : met ? "met" : "NOT met") + "** (" + figure + ")";
    }

    static double num(String s) {
        return s == null || !s.matches("-?[0-9.]+") ? Double.NaN : Double.parseDouble(s);
    }

    static Cell cell(List<Row> rows, String scenario, int c, String subject) {
        List<Row> rs = rows.stream().filter(r -> r.scenario().equals(scenario) && r.concurrency() == c
                && r.subject().equals(subject)).toList();
        if (rs.isEmpty()) {
            return null;
        }
        Function<Function<Row, Double>, Double> med = f -> {
            double[] v = rs.stream().mapToDouble(f::apply).filter(d -> !Double.isNaN(d)).sorted().toArray();
            return v.length == 0 ? Double.NaN : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        };
        long non2xx = rs.stream().mapToLong(r -> r.non2xx().matches("\\d+") ? Long.parseLong(r.non2xx()) : 0).sum();
        boolean ok = rs.stream().allMatch(r -> r.check().equals("OK") || r.check().equals("-"));
        return new Cell(med.apply(Row::rps), med.apply(r -> num(r.p50())), med.apply(r -> num(r.p90())),
                med.apply(r -> num(r.p99())), non2xx, !rs.get(0).check().equals("-"), ok,
                med.apply(r -> num(r.cpuJvm())), med.apply(r -> num(r.cpuPg())), med.apply(r -> num(r.cpuGen())),
                med.apply(r -> num(r.group())), med.apply(r -> num(r.retries())));
    }

    // ---------------------------------------------------------------- SVG, two line charts side by side

    static String svg(List<Integer> conc, double[] service, double[] a, double[] b, double[][] lat) {
        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"960\" height=\"400\" font-family=\"sans-serif\" font-size=\"12\">\n");
        s.append("<rect width=\"960\" height=\"400\" fill=\"white\"/>\n");
        chart(s, 0, "Throughput (allocations/s) vs concurrency", conc,
                new double[][] {service, a, b}, new String[] {"service", "(a) service SQL, pgbench", "(b) book SQL, pgbench"},
                new String[] {"#d62728", "#1f77b4", "#7f7f7f"});
        chart(s, 480, "Service latency (ms) vs concurrency", conc, lat, new String[] {"p50", "p90", "p99"},
                new String[] {"#2ca02c", "#ff7f0e", "#9467bd"});
        return s.append("</svg>\n").toString();
    }

    static void chart(StringBuilder s, int x0, String title, List<Integer> conc, double[][] series, String[] names, String[] colours) {
        int left = x0 + 60;
        int right = x0 + 460;
        int top = 40;
        int bottom = 330;
        double max = 0;
        for (double[] v : series) {
            for (double d : v) {
                if (!Double.isNaN(d)) {
                    max = Math.max(max, d);
                }
            }
        }
        max = niceCeil(max);
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"14\" font-weight=\"bold\">%s</text>\n", x0 + 20, title));
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", left, bottom, right, bottom));
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", left, top, left, bottom));
        for (int t = 0; t <= 4; t++) {
            double v = max * t / 4;
            double y = bottom - (bottom - top) * t / 4.0;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, y, right, y));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", left - 5, y + 4,
                    v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v)));
        }
        int n = conc.size();
        Function<Integer, Double> xOf = k -> n == 1 ? (left + right) / 2.0 : left + 30 + (right - left - 60) * k / (double) (n - 1);
        for (int k = 0; k < n; k++) {
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", xOf.apply(k), bottom + 16, conc.get(k)));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">concurrency</text>\n", (left + right) / 2, bottom + 32));
        for (int j = 0; j < series.length; j++) {
            StringBuilder pts = new StringBuilder();
            for (int k = 0; k < n; k++) {
                double v = series[j][k];
                if (Double.isNaN(v)) {
                    continue;
                }
                double y = bottom - (bottom - top) * (max == 0 ? 0 : v / max);
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", xOf.apply(k), y));
                s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n", xOf.apply(k), y, colours[j]));
            }
            s.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n", pts.toString().trim(), colours[j]));
            int ly = bottom + 50 + 0;
            int lx = left + j * 135;
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"4\" fill=\"%s\"/>", lx, ly - 4, colours[j]));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>\n", lx + 16, ly, names[j]));
        }
    }

    static double niceCeil(double v) {
        if (v <= 0 || Double.isNaN(v)) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }
}
