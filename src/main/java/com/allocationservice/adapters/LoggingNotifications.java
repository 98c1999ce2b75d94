package com.allocationservice.adapters;

import com.allocationservice.service.Notifications;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Notifications for a deployment with no mail server: each one is logged. */
public final class LoggingNotifications implements Notifications {

    private static final Logger log = LoggerFactory.getLogger(LoggingNotifications.class);

    @Override
    public void send(String destination, String message) {
        log.info("Notification to {}: {}", destination, message);
    }
}
