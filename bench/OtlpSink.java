import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The cheapest OTLP/HTTP trace receiver for bench/tracing-cost: reads each POST /v1/traces, answers
 * 200 with an empty body, keeps nothing; on SIGTERM prints how many export requests and bytes it took.
 *
 *   java bench/OtlpSink.java PORT
 */
public class OtlpSink {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        AtomicLong requests = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        server.setExecutor(Executors.newSingleThreadExecutor());
        server.createContext("/v1/traces", exchange -> {
            try (exchange) {
                bytes.addAndGet(exchange.getRequestBody().readAllBytes().length);
                requests.incrementAndGet();
                exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
                exchange.sendResponseHeaders(200, -1);
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop(0);
            System.out.println("otlp-sink: " + requests.get() + " export requests, " + bytes.get() + " bytes");
        }));
        server.start();
        System.out.println("otlp-sink: listening on 127.0.0.1:" + port);
    }
}
