import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The latency of a page of GET /products, one request at a time: for each of the four kinds of page
 * (the default order, the short filter, by SKU, by SKU with the short filter) it walks the pages from
 * the first through their cursors, starting over at the end, until it has made the requests asked for.
 * Prints one line per kind and one for all: requests, p50, p90, p99 and max in milliseconds.
 * java OverviewLatency.java PORT [REQUESTS_PER_KIND] [LIMIT]
 */
public class OverviewLatency {

    private static final Pattern CURSOR = Pattern.compile("\"next_cursor\":(null|\"([^\"]*)\")");

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int requests = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int limit = args.length > 2 ? Integer.parseInt(args[2]) : 50;
        HttpClient client = HttpClient.newHttpClient();
        List<Double> all = new ArrayList<>();
        for (String query : List.of("", "filter=short", "sort=sku", "sort=sku&filter=short")) {
            String base = "http://127.0.0.1:" + port + "/products?limit=" + limit + (query.isEmpty() ? "" : "&" + query);
            for (int i = 0; i < 20; i++) {   // warm-up
                client.send(HttpRequest.newBuilder(URI.create(base)).build(), HttpResponse.BodyHandlers.ofString());
            }
            List<Double> took = new ArrayList<>();
            String cursor = null;
            while (took.size() < requests) {
                URI uri = URI.create(base + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)));
                long start = System.nanoTime();
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
                took.add((System.nanoTime() - start) / 1e6);
                if (response.statusCode() != 200) {
                    throw new IllegalStateException(uri + ": " + response.statusCode() + " " + response.body());
                }
                Matcher m = CURSOR.matcher(response.body());
                cursor = m.find() && m.group(2) != null ? m.group(2) : null;
            }
            print(query.isEmpty() ? "default" : query, took);
            all.addAll(took);
        }
        print("all", all);
    }

    private static void print(String name, List<Double> took) {
        List<Double> sorted = new ArrayList<>(took);
        Collections.sort(sorted);
        System.out.printf("%-24s requests=%d p50=%.1f p90=%.1f p99=%.1f max=%.1f ms%n", name, sorted.size(),
                at(sorted, 0.50), at(sorted, 0.90), at(sorted, 0.99), sorted.getLast());
    }

    private static double at(List<Double> sorted, double q) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }
}
