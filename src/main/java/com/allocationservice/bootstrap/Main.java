package com.allocationservice.bootstrap;

import com.allocationservice.config.Settings;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts the service from the environment and stops it gracefully on SIGTERM. */
public final class Main {

    private static final Logger log = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) {
        Settings settings;
        try {
            settings = Settings.fromEnvironment(System.getenv());
        } catch (Settings.InvalidSettings e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        Bootstrap.Service service;
        try {
            service = Bootstrap.start(settings);
        } catch (RuntimeException e) {
            // An operator's problem (database missing or unreachable, port taken): one line saying
            // what failed and why; the stack trace goes to the debug log only.
            log.debug("Start-up failed", e);
            System.err.println("Cannot start the allocation service: " + settings.redact(causes(e)));
            System.exit(1);
            return;
        }
        long startedMillis = ProcessHandle.current().info().startInstant()
                .map(start -> Duration.between(start, Instant.now()).toMillis()).orElse(-1L);
        log.info("Allocation service listening on port {} ({}), started in {} ms", service.port(),
                settings.embeddedDatabase() ? "embedded H2 at ./data" : Settings.redactedJdbcUrl(settings.dbUrl()), startedMillis);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("Stopping: finishing in-flight requests");
            service.close();
            log.info("Stopped");
        }, "shutdown"));
    }

    /** The first line of each distinct message of the exception and its causes, outermost first. */
    static String causes(Throwable failure) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String message = t.getMessage() == null || t.getMessage().isBlank() ? t.getClass().getSimpleName()
                    : t.getMessage().strip().lines().findFirst().orElseThrow();
            if (text.indexOf(message) < 0) {
                text.append(text.isEmpty() ? "" : ": ").append(message);
            }
        }
        return text.toString();
    }
}
