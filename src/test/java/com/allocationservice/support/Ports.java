package com.allocationservice.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/** The one helper for a TCP port nothing listens on now (for servers and jars the tests start). */
public final class Ports {

    private Ports() {
    }

    public static int free() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
