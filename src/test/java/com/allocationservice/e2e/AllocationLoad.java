package com.allocationservice.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Client threads allocating one line of quantity 1 per request, each with an orderid never used
 * before, on SKUs taken in turn, keeping every answer: the lines accepted (202) with the batch each
 * answer named, and every other answer or failure to get one.
 */
final class AllocationLoad {

    /** A request that got no 202: its status and body, or (status -1) why no answer came. */
    record Refused(String orderid, int status, String body) {
    }

    private static final Pattern BATCHREF = Pattern.compile("\"batchref\"\\s*:\\s*\"([^\"]+)\"");
    private static final AtomicInteger NEXT = new AtomicInteger();

    /** orderid → the batch its 202 named. */
    final Map<String, String> accepted = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<Refused> refused = new ConcurrentLinkedQueue<>();
    private final Map<String, Long> acceptedSentAt = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> clients = new ArrayList<>();

    private AllocationLoad() {
    }

    static AllocationLoad start(ServiceProcess service, List<String> skus, int clients) {
        AllocationLoad load = new AllocationLoad();
        for (int c = 0; c < clients; c++) {
            load.clients.add(Thread.ofVirtual().start(() -> {
                while (load.running.get()) {
                    load.allocateOne(service, skus);
                }
            }));
        }
        return load;
    }

    private void allocateOne(ServiceProcess service, List<String> skus) {
        int n = NEXT.incrementAndGet();
        String orderid = "order-" + n;
        long sentAt = System.nanoTime();
        try {
            ServiceProcess.Answer answer = service.post("/allocate", "{\"orderid\": \"" + orderid + "\", \"sku\": \""
                    + skus.get(n % skus.size()) + "\", \"qty\": 1}");
            Matcher batchref = BATCHREF.matcher(answer.body());
            if (answer.status() == 202 && batchref.find()) {
                accepted.put(orderid, batchref.group(1));
                acceptedSentAt.put(orderid, sentAt);
            } else {
                refused.add(new Refused(orderid, answer.status(), answer.body()));
            }
        } catch (RuntimeException noAnswer) {
            refused.add(new Refused(orderid, -1, noAnswer.toString()));
        }
    }

    /** How many lines were accepted whose request was sent after this {@link System#nanoTime}. */
    long acceptedSentAfter(long nanoTime) {
        return acceptedSentAt.values().stream().filter(at -> at > nanoTime).count();
    }

    void stop() throws InterruptedException {
        running.set(false);
        for (Thread client : clients) {
            client.join();
        }
    }
}
