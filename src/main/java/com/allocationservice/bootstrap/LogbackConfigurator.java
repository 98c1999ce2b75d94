package com.allocationservice.bootstrap;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import com.allocationservice.config.Settings;
import net.logstash.logback.encoder.LogstashEncoder;
import org.slf4j.Logger;

/**
 * Logging set up in code, found by Logback through {@code META-INF/services}: the same console
 * format a {@code logback.xml} would give, without parsing XML at start-up (a few hundred
 * milliseconds of a cold start). Libraries log warnings and errors only. With
 * {@code ALLOCATION_LOG_FORMAT=json}, one JSON object per line (logstash-logback-encoder). Logging
 * starts before the settings are read, so the variable is read here; a malformed value logs as text
 * until {@link Settings#fromEnvironment} stops start-up on it.
 */
public final class LogbackConfigurator extends ContextAwareBase implements Configurator {

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        Encoder<ILoggingEvent> encoder;
        if (Settings.LogFormat.of(System.getenv("ALLOCATION_LOG_FORMAT")).orElse(Settings.LogFormat.TEXT)
                == Settings.LogFormat.JSON) {
            encoder = new LogstashEncoder();
        } else {
            PatternLayoutEncoder text = new PatternLayoutEncoder();
            text.setPattern("%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n");
            encoder = text;
        }
        encoder.setContext(context);
        encoder.start();
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName("STDOUT");
        console.setEncoder(encoder);
        console.start();
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(console);
        for (String library : new String[] {"org.eclipse.jetty", "com.zaxxer.hikari", "org.flywaydb", "io.javalin"}) {
            context.getLogger(library).setLevel(Level.WARN);
        }
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
