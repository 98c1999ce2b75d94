package com.allocationservice.integration;

import com.allocationservice.service.Notifications;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Remembers what was sent, to whom. */
public final class FakeNotifications implements Notifications {

    private final List<Map.Entry<String, String>> sent = new ArrayList<>();

    @Override
    public synchronized void send(String destination, String message) {
        sent.add(Map.entry(destination, message));
    }

    public synchronized List<Map.Entry<String, String>> sent() {
        return List.copyOf(sent);
    }
}
