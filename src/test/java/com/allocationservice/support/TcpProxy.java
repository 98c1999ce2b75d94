package com.allocationservice.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A TCP proxy on a local port that can cut the line: while cut, every open connection is closed and
 * new ones are closed as soon as they arrive. The service sees its server go away and come back,
 * while the server (and what it stored) stays up for the test to inspect. It can also stall the line
 * (a partition): connections stay open, new ones are accepted, and no byte goes through either way
 * until it is restored. Or it can strand the connections open now (a connection that a NAT or a
 * proxy dropped without telling either end): they stay open and carry nothing, ever, while new ones
 * flow. Or, between the service and PostgreSQL, it can cut one connection at the server's answer to a
 * given command ({@link #cutAtReply}): the command was done on the server, and its answer never arrives.
 */
public final class TcpProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final String targetHost;
    private final int targetPort;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Set<Socket> stranded = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;
    private volatile boolean stalled;
    /** The bytes of the PostgreSQL CommandComplete message to cut at, once; null: none armed. */
    private final AtomicReference<byte[]> cutAt = new AtomicReference<>();

    private TcpProxy(String targetHost, int targetPort) throws IOException {
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        Thread.ofVirtual().name("tcp-proxy").start(this::accept);
    }

    public static TcpProxy to(String host, int port) {
        try {
            return new TcpProxy(host, port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Closes every connection and refuses new ones until {@link #restore}. */
    public void cut() {
        cut = true;
        open.forEach(TcpProxy::closeQuietly);
        open.clear();
    }

    /** Holds every byte, both ways, on open and new connections, until {@link #restore}. */
    public void stall() {
        stalled = true;
    }

    /** Holds every byte of the connections open now, both ways, for good; new connections flow. */
    public void strand() {
        stranded.addAll(open);
    }

    public void restore() {
        cut = false;
        stalled = false;
    }

    /**
     * Arms a cut, once: the first piece of PostgreSQL's answer holding the CommandComplete of
     * {@code tag} ("COMMIT", "BEGIN") is dropped, and both ends of that connection are closed. The
     * server has done the command; the client never hears so. Other connections go on.
     */
    public void cutAtReply(String tag) {
        byte[] text = (tag + "\0").getBytes(StandardCharsets.US_ASCII);
        cutAt.set(ByteBuffer.allocate(5 + text.length).put((byte) 'C').putInt(4 + text.length).put(text).array());
    }

    /** True while a cut armed by {@link #cutAtReply} has not happened yet. */
    public boolean cutArmed() {
        return cutAt.get() != null;
    }

    @Override
    public void close() {
        cut();
        closeQuietly(listener);
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                if (cut) {
                    closeQuietly(client);
                    continue;
                }
                open.add(client);
                Thread.ofVirtual().start(() -> connect(client));
            } catch (IOException e) {
                // listener closed
            }
        }
    }

    private void connect(Socket client) {
        try {
            awaitFlowing(client);
            Socket server = new Socket(targetHost, targetPort);
            open.add(server);
            Thread.ofVirtual().start(() -> pump(client, server, false));
            Thread.ofVirtual().start(() -> pump(server, client, true));
        } catch (IOException e) {
            // the target refused: the client sees its connection end
            closeQuietly(client);
            open.remove(client);
        }
    }

    private void awaitFlowing(Socket from) {
        while ((stalled || stranded.contains(from)) && !from.isClosed()) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void pump(Socket from, Socket to, boolean fromServer) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                awaitFlowing(from);
                byte[] reply = cutAt.get();
                if (fromServer && reply != null && contains(buffer, n, reply) && cutAt.compareAndSet(reply, null)) {
                    return; // the answer is dropped, and both ends closed below
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // one side went away
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            open.remove(from);
            open.remove(to);
        }
    }

    private static boolean contains(byte[] buffer, int length, byte[] wanted) {
        outer:
        for (int i = 0; i + wanted.length <= length; i++) {
            for (int j = 0; j < wanted.length; j++) {
                if (buffer[i + j] != wanted[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // already closed
        }
    }
}
