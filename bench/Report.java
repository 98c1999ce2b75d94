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
               String p99, String non2xx, String check) {
    }

    /** Medians over repeats of one (scenario, concurrency, subject). */
    record Cell(double rps, double p50, double p90, double p99, long non2xx, boolean checked, boolean ok) {
    }

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
            rows.add(new Row(Integer.parseInt(f[0]), f[1], Integer.parseInt(f[2]), f[3], num(f[4]), f[5], f[6], f[7], f[8], f[9]));
        }
        TreeSet<Integer> conc = new TreeSet<>();
        rows.stream().filter(r -> r.scenario().equals("spread")).forEach(r -> conc.add(r.concurrency()));

        StringBuilder table = new StringBuilder();
        table.append("| concurrency | service alloc/s | p50 / p90 / p99 ms | non-2xx | check | (a) service SQL alloc/s | (b) book SQL alloc/s | service ÷ (a), target ≥ 0.8 | service ÷ (b), target ≥ 1.5 |\n");
        table.append("|---:|---:|---:|---:|:--|---:|---:|---:|---:|\n");
        List<String> targets = new ArrayList<>();
        boolean spreadMet = true;
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
            boolean met = ra >= 0.8 && rb >= 1.5 && s.non2xx() == 0 && s.ok();
            spreadMet &= met;
            table.append(String.format(Locale.ROOT, "| %d | %.0f | %.1f / %.1f / %.1f | %d | %s | %.0f | %.0f | **%.2f** %s | **%.2f** %s |\n",
                    c, s.rps(), s.p50(), s.p90(), s.p99(), s.non2xx(), s.ok() ? "OK" : "FAILED", a.rps(), b.rps(),
                    ra, ra >= 0.8 ? "met" : "not met", rb, rb >= 1.5 ? "met" : "not met"));
            sv[i] = s.rps();
            av[i] = a.rps();
            bv[i] = b.rps();
            lat[0][i] = s.p50();
            lat[1][i] = s.p90();
            lat[2][i] = s.p99();
            i++;
        }
        targets.add(line("1. Spread: service ≥ 0.8 × (a) and ≥ 1.5 × (b) at every concurrency, zero non-2xx", spreadMet,
                "see the table"));
        int maxC = conc.isEmpty() ? 0 : conc.last();
        Cell spreadMax = conc.isEmpty() ? null : cell(rows, "spread", maxC, "service");
        StringBuilder other = new StringBuilder();
        other.append("| scenario | alloc/s | p50 / p90 / p99 ms | non-2xx | check | ratio | target |\n|:--|---:|---:|---:|:--|---:|:--|\n");
        int hotC = Integer.parseInt(meta.getOrDefault("hot_concurrency", "64"));
        Cell hot = cell(rows, "hot", hotC, "service");
        Cell spreadAtHot = cell(rows, "spread", hotC, "service");
        if (hot != null && spreadAtHot != null) {
            double r = hot.rps() / spreadAtHot.rps();
            boolean met = r >= 0.5 && hot.non2xx() == 0 && hot.ok();
            other.append(String.format(Locale.ROOT, "| hot SKU, c=%d | %.0f | %.1f / %.1f / %.1f | %d | %s | %.2f × spread | ≥ 0.5, zero non-2xx: %s |\n",
                    hotC, hot.rps(), hot.p50(), hot.p90(), hot.p99(), hot.non2xx(), hot.ok() ? "OK" : "FAILED", r, met ? "met" : "not met"));
            targets.add(line("2. Hot SKU: zero non-2xx and ≥ 0.5 × spread", met, String.format(Locale.ROOT, "%.2f × spread, %d non-2xx", r, hot.non2xx())));
        }
        Cell flat = cell(rows, "flat", maxC, "service");
        if (flat != null && spreadMax != null) {
            double r = flat.rps() / spreadMax.rps();
            boolean met = r >= 0.9 && flat.ok();
            other.append(String.format(Locale.ROOT, "| flat cost, %s earlier allocations, c=%d | %.0f | %.1f / %.1f / %.1f | %d | %s | %.2f × empty | ≥ 0.9: %s |\n",
                    meta.get("flat_history").split(" ")[0], maxC, flat.rps(), flat.p50(), flat.p90(), flat.p99(), flat.non2xx(),
                    flat.ok() ? "OK" : "FAILED", r, met ? "met" : "not met"));
            targets.add(line("3. Flat cost: ≥ 0.9 × empty-database throughput", met, String.format(Locale.ROOT, "%.2f ×", r)));
        }
        String startup = meta.getOrDefault("startup", "");
        long startupMs = startup.contains("startup_median_ms=")
                ? Long.parseLong(startup.replaceAll(".*startup_median_ms=(\\d+).*", "$1")) : -1;
        String rssKb = meta.getOrDefault("rss_kb", "");
        double rssMb = rssKb.isBlank() ? -1 : Long.parseLong(rssKb.trim()) / 1024.0;
        if (startupMs >= 0) {
            other.append(String.format(Locale.ROOT, "| start-up to first 200 from /health (median) | | | | | %d ms | ≤ 1000 ms: %s |\n",
                    startupMs, startupMs <= 1000 ? "met" : "not met"));
        }
        String aot = meta.getOrDefault("startup_aot", "");
        long aotMs = aot.contains("startup_median_ms=")
                ? Long.parseLong(aot.replaceAll(".*startup_median_ms=(\\d+).*", "$1")) : -1;
        if (aotMs >= 0) {
            other.append(String.format(Locale.ROOT, "| start-up, the README's run command (`-XX:AOTCache`, median) | | | | | %d ms | ≤ 1000 ms: %s |\n",
                    aotMs, aotMs <= 1000 ? "met" : "not met"));
            startupMs = startupMs < 0 ? aotMs : Math.min(startupMs, aotMs);
        }
        if (rssMb >= 0) {
            other.append(String.format(Locale.ROOT, "| resident memory after the c=%d run | | | | | %.0f MB | ≤ 300 MB: %s |\n",
                    maxC, rssMb, rssMb <= 300 ? "met" : "not met"));
        }
        if (startupMs >= 0 || rssMb >= 0) {
            targets.add(line("4. Start-up ≤ 1 s and RSS ≤ 300 MB", startupMs >= 0 && startupMs <= 1000 && rssMb >= 0 && rssMb <= 300,
                    startupMs < 0 ? "not measured in this mode" : null,
                    (startupMs >= 0 ? startupMs + " ms" : "start-up not measured") + ", " + (rssMb >= 0 ? String.format(Locale.ROOT, "%.0f MB", rssMb) : "RSS not measured")));
        }
        boolean failed = !"0".equals(meta.get("failed"));
        targets.add(line("5. Correct after every run (no over-allocation, every 2xx stored once, read model = write model)",
                !failed, failed ? "a check FAILED: see raw/checks.txt" : "all checks OK"));

        String date = meta.get("date");
        String header = String.format("Run of %s (%s mode, %s s per step, median of %s, commit %s). Load: %s. Figures are ratios to the database ceilings measured in the same run.",
                date, meta.get("mode"), meta.get("seconds"), meta.get("repeat"), meta.get("commit"), meta.get("load"));
        String summary = header + "\n\n" + table + "\n" + other + "\n" + String.join("\n", targets) + "\n";

        StringBuilder md = new StringBuilder("# Allocation benchmark, " + date + (failed ? " — FAILED" : "") + "\n\n");
        md.append(summary).append("\n![throughput and latency](plot.svg)\n\n## Machine and settings\n\n");
        meta.forEach((k, v) -> md.append("- ").append(k).append(": ").append(v.isBlank() ? "-" : v).append('\n'));
        md.append("\n## How to read it\n\n")
                .append("- (a) is pgbench running the SQL the service issues for one allocation (`bench/pgbench/service_allocation.sql`), one allocation per transaction, at the same concurrency and SKU spread: what the database can do for our statement sequence with no HTTP and no JVM in the way. The service reaching 0.8 × (a) means the service adds little on top of its SQL.\n")
                .append("- (b) is pgbench running the book's SQL shape (`bench/pgbench/book_allocation.sql`): a fixed reference that does not change when the service does.\n")
                .append("- The service, PostgreSQL and the load generator share the machine's cores; pgbench runs without the service's load, so (a) is a ceiling, not a like-for-like comparison.\n")
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

    static String line(String what, boolean met, String figure) {
        return line(what, met, null, figure);
    }

    static String line(String what, boolean met, String unknown, String figure) {
        return "- " + what + ": **" + (unknown != null ? unknown : met ? "met" : "NOT met") + "** (" + figure + ")";
    }

    static double num(String s) {
        return s == null || s.isBlank() || s.equals("?") ? Double.NaN : Double.parseDouble(s);
    }

    static Cell cell(List<Row> rows, String scenario, int c, String subject) {
        List<Row> rs = rows.stream().filter(r -> r.scenario().equals(scenario) && r.concurrency() == c
                && r.subject().equals(subject)).toList();
        if (rs.isEmpty()) {
            return null;
        }
        Function<Function<Row, Double>, Double> med = f -> {
            double[] v = rs.stream().mapToDouble(f::apply).sorted().toArray();
            return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        };
        long non2xx = rs.stream().mapToLong(r -> r.non2xx().matches("\\d+") ? Long.parseLong(r.non2xx()) : 0).sum();
        boolean ok = rs.stream().allMatch(r -> r.check().equals("OK") || r.check().equals("-"));
        return new Cell(med.apply(Row::rps), med.apply(r -> num(r.p50())), med.apply(r -> num(r.p90())),
                med.apply(r -> num(r.p99())), non2xx, !rs.get(0).check().equals("-"), ok);
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
