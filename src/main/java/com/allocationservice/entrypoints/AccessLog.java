package com.allocationservice.entrypoints;

import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per answered request through SLF4J, so it follows the log format: method, path, status
 * and duration, in the message and (for JSON logs) as fields of their own.
 */
public final class AccessLog implements RequestObserver {

    private static final Logger log = LoggerFactory.getLogger("access");

    @Override
    public void answered(String method, String route, String path, int status, double millis) {
        log.atInfo().addKeyValue("method", method).addKeyValue("path", path).addKeyValue("status", status)
                .addKeyValue("duration_ms", Math.round(millis * 1000) / 1000.0)
                .log("{} {} {} {} ms", method, path, status, String.format(Locale.ROOT, "%.1f", millis));
    }
}
