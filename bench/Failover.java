import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The figures and the report of {@code bench/failover}, JDK only.
 *
 * <pre>
 * phase  --answers FILE --kill-epoch-ms K [--window 60]   what clients saw around a kill, from LoadGen's --answers
 * report DIR [README]                                      DIR/results.txt to DIR/report.md; with README, also
 *                                                          its part between the failover markers
 * </pre>
 * {@code phase} prints {@code key=value} lines (times in seconds, relative to the kill where they say
 * "after"): the longest time without a 2xx answer from the last 2xx before the kill on, where it
 * began and ended, the longest such gap in the window before the kill (for scale), the non-2xx
 * answers after the kill by status ({@code io}: no answer, an I/O error), and the 2xx answers per
 * second in the window before the kill, in the window from the kill (the gap included) and in the
 * window from the end of the gap.
 */
public final class Failover {

    static final String BEGIN = "<!-- failover:begin -->";
    static final String END = "<!-- failover:end -->";

    public static void main(String[] args) throws IOException {
        switch (args.length == 0 ? "" : args[0]) {
            case "phase" -> phase(options(args));
            case "report" -> report(Path.of(args[1]), args.length > 2 ? Path.of(args[2]) : null);
            default -> {
                System.err.println("usage: java bench/Failover.java phase --answers FILE --kill-epoch-ms K [--window 60] | report DIR [README]");
                System.exit(2);
            }
        }
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        return o;
    }

    // ---------------------------------------------------------------- one phase

    static void phase(Map<String, String> o) throws IOException {
        List<String> lines = Files.readAllLines(Path.of(o.get("answers")));
        long startEpochMillis = Long.parseLong(lines.get(0).replaceFirst("^# start_epoch_ms=(\\d+).*", "$1"));
        double kill = (Long.parseLong(o.get("kill-epoch-ms")) - startEpochMillis) / 1000.0;
        double window = Double.parseDouble(o.getOrDefault("window", "60"));
        double[] ok = new double[lines.size()];
        int oks = 0;
        double end = 0;
        Map<String, Long> after = new TreeMap<>();
        long non2xxBefore = 0;
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split("\t");
            double t = Long.parseLong(f[0]) / 1e6;
            int status = Integer.parseInt(f[1]);
            end = Math.max(end, t);
            if (status / 100 == 2) {
                ok[oks++] = t;
            } else if (t >= kill) {
                after.merge(status == 0 ? "io" : String.valueOf(status), 1L, Long::sum);
            } else {
                non2xxBefore++;
            }
        }
        ok = Arrays.copyOf(ok, oks);   // in time order: LoadGen writes them so

        // The gap: from the last 2xx before the kill (or the start), between consecutive 2xx after it,
        // and from the last 2xx to the end of the load (a service that never answered again).
        double from = 0;
        int i = 0;
        while (i < oks && ok[i] < kill) {
            from = ok[i++];
        }
        double gap = 0;
        double gapFrom = from;
        double gapTo = from;
        double previous = from;
        for (; i <= oks; i++) {
            double t = i < oks ? ok[i] : end;
            if (t - previous > gap) {
                gap = t - previous;
                gapFrom = previous;
                gapTo = t;
            }
            previous = t;
        }
        boolean recovered = oks > 0 && ok[oks - 1] >= gapTo && gapTo < end;
        double gapBefore = 0;
        double previousBefore = Double.NaN;
        for (double t : ok) {
            if (t >= kill - window && t < kill) {
                if (!Double.isNaN(previousBefore)) {
                    gapBefore = Math.max(gapBefore, t - previousBefore);
                }
                previousBefore = t;
            }
        }
        double beforeSpan = Math.min(window, kill);
        double afterSpan = Math.min(window, end - kill);
        double recoveredSpan = Math.min(window, end - gapTo);

        Map<String, String> r = new LinkedHashMap<>();
        r.put("kill_at_s", f3(kill));
        r.put("gap_s", f3(gap));
        r.put("gap_from_s", f3(gapFrom - kill));
        r.put("gap_to_s", f3(gapTo - kill));
        r.put("recovered", recovered ? "yes" : "no");
        r.put("gap_before_s", f3(gapBefore));
        r.put("answers_2xx", String.valueOf(oks));
        r.put("non2xx_before", String.valueOf(non2xxBefore));
        r.put("n503_after", String.valueOf(after.getOrDefault("503", 0L)));
        long other = after.entrySet().stream().filter(e -> !e.getKey().equals("503")).mapToLong(Map.Entry::getValue).sum();
        r.put("other_after", String.valueOf(other));
        r.put("statuses_after", after.isEmpty() ? "-" : after.toString().replace(" ", ""));
        r.put("window_before_s", f3(beforeSpan));
        r.put("rate_before", rate(ok, kill - beforeSpan, kill));
        r.put("window_after_s", f3(afterSpan));
        r.put("rate_after", rate(ok, kill, kill + afterSpan));
        r.put("window_recovered_s", f3(recoveredSpan));
        r.put("rate_recovered", recovered ? rate(ok, gapTo, gapTo + recoveredSpan) : "n/a");
        r.forEach((k, v) -> System.out.println(k + "=" + v));
    }

    /** 2xx answers per second in [from, to). */
    static String rate(double[] ok, double from, double to) {
        if (to <= from) {
            return "n/a";
        }
        long n = Arrays.stream(ok).filter(t -> t >= from && t < to).count();
        return String.format(Locale.ROOT, "%.1f", n / (to - from));
    }

    static String f3(double seconds) {
        return String.format(Locale.ROOT, "%.3f", seconds);
    }

    // ---------------------------------------------------------------- the report

    /** The rows of the table: a label and the keys (after the phase's prefix) it shows, in a format. */
    record Row(String label, String format, String... keys) {
    }

    static final List<Row> ROWS = List.of(
            new Row("what was killed (SIGKILL)", "%s", "killed"),
            new Row("seconds without a 2xx after the kill (longest gap between two 2xx)", "**%s** (from %s to %s s after the kill)", "gap_s", "gap_from_s", "gap_to_s"),
            new Row("answered 2xx again", "%s", "recovered"),
            new Row("seconds from the kill until the other node took over (its Patroni's /primary; the Sentinels)", "%s", "promoted_s"),
            new Row("longest gap between two 2xx in the window before the kill", "%s s", "gap_before_s"),
            new Row("503 answers after the kill", "%s", "n503_after"),
            new Row("other non-2xx after the kill; all non-2xx after it by status (io: no answer)", "%s; %s", "other_after", "statuses_after"),
            new Row("non-2xx before the kill", "%s", "non2xx_before"),
            new Row("alloc/s in the window before the kill", "%s (%s s)", "rate_before", "window_before_s"),
            new Row("alloc/s in the window from the kill (the gap included)", "%s (%s s)", "rate_after", "window_after_s"),
            new Row("alloc/s in the window from the end of the gap", "%s (%s s)", "rate_recovered", "window_recovered_s"),
            new Row("2xx answers", "%s", "answers_2xx"),
            new Row("lost 2xx: answered 2xx, not stored once on its batch (must be 0)", "**%s** (not on that batch %s, stored twice %s)", "lost_2xx", "missing_2xx", "duplicated_2xx"),
            new Row("stored without a 2xx (answered 503 or no answer, yet committed)", "%s", "stored_without_2xx"),
            new Row("lost events: stored, no line_allocated on the stream (must be 0)", "**%s** (of %s stored; duplicated on the stream: %s)", "lost_events", "stored", "duplicated_events"),
            new Row("outbox backlog: highest after the kill, seconds to drain after the load", "%s, %s s", "backlog_max", "drain_s"),
            new Row("new leader / primary", "%s", "new_primary"),
            new Row("load average at the phase's start / end", "%s / %s", "load_start", "load_end"));

    static void report(Path dir, Path readme) throws IOException {
        Map<String, String> v = new LinkedHashMap<>();
        for (String line : Files.readAllLines(dir.resolve("results.txt"))) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                v.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        List<String> phases = new ArrayList<>();
        List<String> titles = new ArrayList<>();
        for (String p : List.of("postgres", "redis")) {
            if (v.containsKey(p + ".killed")) {
                phases.add(p);
                titles.add(p.equals("postgres") ? "PostgreSQL leader killed" : "Redis primary killed");
            }
        }
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Failover run of %s (commit %s, jar %s): %s s of load before each kill, %s s after, concurrency %s over %s SKUs.%s Load average at the start %s, at the end %s.%n%n",
                v.get("date"), v.get("commit"), v.get("jar"), v.get("before"), v.get("after"), v.get("concurrency"), v.get("skus"),
                v.getOrDefault("note", "").isEmpty() ? "" : " " + v.get("note"), v.get("load_start"), v.get("load_end")));
        md.append("| |");
        titles.forEach(t -> md.append(' ').append(t).append(" |"));
        md.append('\n').append("|:--|").append(":--|".repeat(phases.size())).append('\n');
        for (Row row : ROWS) {
            md.append("| ").append(row.label()).append(" |");
            for (String p : phases) {
                Object[] values = Arrays.stream(row.keys()).map(k -> v.getOrDefault(p + "." + k, "?")).toArray();
                md.append(' ').append(String.format(Locale.ROOT, row.format(), values)).append(" |");
            }
            md.append('\n');
        }
        if (v.containsKey("remote.rate_on")) {
            md.append(String.format(Locale.ROOT, "%n| synchronous_commit, %s s each | alloc/s | p50 / p99 ms | non-2xx |%n|:--|---:|---:|---:|%n", v.get("remote.seconds")));
            for (String mode : List.of("on", "remote_apply")) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %s / %s | %s |%n", mode, v.get("remote.rate_" + mode),
                        v.get("remote.p50_" + mode), v.get("remote.p99_" + mode), v.get("remote.non2xx_" + mode)));
            }
            md.append(String.format(Locale.ROOT, "%nremote_apply ÷ on: **%s** × the allocations per second.%n", v.get("remote.ratio")));
        }
        md.append("\nAll checks: **").append(v.getOrDefault("verdict", "?")).append("**.\n");
        Files.writeString(dir.resolve("report.md"), "# Failover\n\n" + md + "\nRaw figures: `results.txt`; per phase the timeline (`*.timeline`: second, 2xx, 503, other), every answer (`*.answers`), the 2xx answers (`*.ok`), the outbox backlog per second (`*.backlog`), the checks' files and the logs.\n");
        System.out.println(md);
        if (readme != null) {
            String text = Files.readString(readme);
            int b = text.indexOf(BEGIN);
            int e = text.indexOf(END);
            if (b < 0 || e < b) {
                System.err.println(readme + " has no " + BEGIN + " ... " + END + " markers; not updated");
                return;
            }
            String rel = readme.toAbsolutePath().getParent().relativize(dir.toAbsolutePath()).toString();
            String block = BEGIN + "\n" + md + "\nReport: `" + rel + "/report.md` (results are not committed; `bench/results/` is ignored by git).\n" + END;
            Files.writeString(readme, text.substring(0, b) + block + text.substring(e + END.length()));
            System.out.println("Failover table updated in " + readme);
        }
    }
}
