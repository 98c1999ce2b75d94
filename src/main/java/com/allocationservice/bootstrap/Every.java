package com.allocationservice.bootstrap;

import java.time.Duration;

/** A task run every interval on a virtual thread of its own, from now until closed (the closing waits for it). */
final class Every {

    private Every() {
    }

    /**
     * Starts running {@code task} every {@code interval}, at a fixed rate (a run that overruns is
     * followed by the next at once); {@code name} names the thread and the worker in the logs.
     */
    static AutoCloseable start(String name, Duration interval, Runnable task) {
        Thread thread = Thread.ofVirtual().name(name).start(() -> {
            long next = System.nanoTime() + interval.toNanos();
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.sleep(Duration.ofNanos(Math.max(0, next - System.nanoTime())));
                    task.run();
                    next += interval.toNanos();
                }
            } catch (InterruptedException e) {
                // closed
            }
        });
        return new AutoCloseable() {
            @Override
            public void close() throws InterruptedException {
                thread.interrupt();
                thread.join();
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
