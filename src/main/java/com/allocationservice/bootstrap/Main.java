package com.allocationservice.bootstrap;

import com.allocationservice.config.Settings;
import com.allocationservice.entrypoints.ApiTokens;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the service from the environment and stops it gracefully on SIGTERM; {@code token NAME
 * SCOPES} prints a new API token and its line for the tokens file instead.
 */
public final class Main {

    private static final Logger log = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) {
        if (args.length > 0) {
            System.exit(command(args));
            return;
        }
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

    /**
     * {@code token NAME SCOPES}: a new random token on standard error (to give the client), and on
     * standard output the line to add to the tokens file, which holds only the token's digest.
     */
    private static int command(String[] args) {
        if (args.length != 3 || !args[0].equals("token")) {
            System.err.println("Usage: java -jar allocation.jar token NAME SCOPE[,SCOPE...]   (scopes: read, allocate,"
                    + " purchase, operate)\n  prints a new token on standard error and its line for"
                    + " ALLOCATION_API_TOKENS_FILE on standard output; with no arguments, starts the service");
            return 2;
        }
        try {
            ApiTokens.NewToken token = ApiTokens.generate(args[1], args[2], new SecureRandom());
            System.err.println(token.token());
            System.out.println(token.line());
            return 0;
        } catch (IllegalArgumentException e) {
            System.err.println("Cannot make the token: " + e.getMessage().replaceFirst("^line 1: ", ""));
            return 2;
        }
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
