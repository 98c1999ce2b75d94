package com.allocationservice.entrypoints;

import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per answered request through SLF4J, so it follows the log format: method, path, status,
 * duration and the API token's name ({@code token=<name>}, when the request carried a known one), in
 * the message and (for JSON logs) as fields of their own.
 */
public final class AccessLog implements RequestObserver {

    private static final Logger log = LoggerFactory.getLogger("access");

    @Override
    public void answered(String method, String route, String path, int status, double millis, String token) {
        var line = log.atInfo().addKeyValue("method", method).addKeyValue("path", path).addKeyValue("status", status)
                .addKeyValue("duration_ms", Math.round(millis * 1000) / 1000.0);
        String duration = String.format(Locale.ROOT, "%.1f", millis);
        if (token == null) {
            line.log("{} {} {} {} ms", method, path, status, duration);
        } else {
            line.addKeyValue("token", token).log("{} {} {} {} ms token={}", method, path, status, duration, token);
        }
    }
}
