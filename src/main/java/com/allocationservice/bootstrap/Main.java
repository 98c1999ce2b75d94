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
        Bootstrap.Service service = Bootstrap.start(settings);
        long startedMillis = ProcessHandle.current().info().startInstant()
                .map(start -> Duration.between(start, Instant.now()).toMillis()).orElse(-1L);
        log.info("Allocation service listening on port {} ({}), started in {} ms", service.port(),
                settings.embeddedDatabase() ? "embedded H2 at ./data" : settings.dbUrl(), startedMillis);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("Stopping: finishing in-flight requests");
            service.close();
            log.info("Stopped");
        }, "shutdown"));
    }
}
