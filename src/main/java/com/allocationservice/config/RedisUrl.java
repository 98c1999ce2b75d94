package com.allocationservice.config;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code ALLOCATION_REDIS_URL}, read: one Redis server ({@code redis://}, or {@code rediss://} with
 * TLS), or the Sentinels that know which server is the primary named {@code master}
 * ({@code redis-sentinel://}, {@code rediss-sentinel://}), written as Lettuce writes them. The text is
 * read here rather than by {@link java.net.URI}, which takes one host only. Every message and
 * {@link #toString} show it with the password masked.
 *
 * @param written the URL as configured (it holds the password: never show it)
 * @param hosts the server, or the Sentinels
 * @param master the name the Sentinels know the primary by; empty for one server
 * @param user null: the default user
 * @param password null: none; with Sentinels, the data nodes' password (the Sentinels are asked
 *        without credentials, as Lettuce and Spring Data Redis do)
 * @param database the database index, 0 unless given
 */
public record RedisUrl(String written, boolean tls, List<Host> hosts, Optional<String> master, String user,
        String password, int database) {

    /** The forms accepted, for messages. */
    public static final String FORMS = "redis[s]://[[user]:password@]host:port[/db] or "
            + "redis[s]-sentinel://[[user]:password@]host:port[,host:port...][/db]#masterName";

    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?");
    private static final Pattern IPV6 = Pattern.compile("\\[[0-9A-Fa-f:.]+(%[A-Za-z0-9]+)?]");
    private static final Pattern MASTER_NAME = Pattern.compile("[A-Za-z0-9_.:-]+");

    /** A host (a name, an IPv4 address, or an IPv6 address in brackets) and port. */
    public record Host(String host, int port) {
        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    public RedisUrl {
        hosts = List.copyOf(hosts);
    }

    /** True for the Sentinel forms: {@link #hosts} are Sentinels and {@link #master} names the primary. */
    public boolean sentinel() {
        return master.isPresent();
    }

    /**
     * Reads a URL in one of the {@link #FORMS}; the password may be written percent-encoded, and
     * {@code password@} alone (no colon) is a password, as Lettuce reads it.
     *
     * @throws IllegalArgumentException saying what is wrong and which forms are expected, the password masked
     */
    public static RedisUrl parse(String raw) {
        String text = raw.strip();
        int separator = text.indexOf("://");
        String scheme = separator < 0 ? "" : text.substring(0, separator);
        boolean sentinel = scheme.endsWith("-sentinel");
        if (!List.of("redis", "rediss", "redis-sentinel", "rediss-sentinel").contains(scheme)) {
            throw refused(text, "the scheme must be redis, rediss, redis-sentinel or rediss-sentinel");
        }
        String rest = text.substring(separator + 3);
        // the last '@': a password written without percent-encoding may hold '@', '/' or '#'
        int at = rest.lastIndexOf('@');
        String user = null;
        String password = null;
        if (at >= 0) {
            String info = rest.substring(0, at);
            int colon = info.indexOf(':');
            user = colon <= 0 ? null : decoded(info.substring(0, colon));
            password = decoded(colon < 0 ? info : info.substring(colon + 1));
            rest = rest.substring(at + 1);
        }
        Optional<String> master = Optional.empty();
        int hash = rest.indexOf('#');
        if (hash >= 0) {
            String name = rest.substring(hash + 1);
            if (!sentinel) {
                throw refused(text, "#" + name + " names a Sentinel master: use redis-sentinel:// or"
                        + " rediss-sentinel://");
            }
            if (!MASTER_NAME.matcher(name).matches()) {
                throw refused(text, "the master name after '#' must be letters, digits, '.', '_', ':' or '-'");
            }
            master = Optional.of(name);
            rest = rest.substring(0, hash);
        } else if (sentinel) {
            throw refused(text, "no #masterName: a Sentinel URL ends with the name of the primary the Sentinels watch");
        }
        int database = 0;
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            String db = rest.substring(slash + 1);
            if (!db.isEmpty()) {
                if (!db.matches("[0-9]{1,5}")) {
                    throw refused(text, "the database after '/' must be a whole number from 0, was '" + db + "'");
                }
                database = Integer.parseInt(db);
            }
            rest = rest.substring(0, slash);
        }
        List<Host> hosts = new ArrayList<>();
        for (String host : rest.split(",", -1)) {
            hosts.add(host(text, host));
        }
        if (!sentinel && hosts.size() > 1) {
            throw refused(text, "a redis:// or rediss:// URL names one server; several hosts are Sentinels:"
                    + " use redis-sentinel://");
        }
        return new RedisUrl(text, scheme.startsWith("rediss"), hosts, master, user, password, database);
    }

    private static Host host(String text, String hostAndPort) {
        int colon = hostAndPort.lastIndexOf(':');
        if (hostAndPort.isEmpty() || colon < 0 || colon < hostAndPort.lastIndexOf(']')) {
            throw refused(text, "every host needs a port, as host:port, was '" + hostAndPort + "'");
        }
        String host = hostAndPort.substring(0, colon);
        String port = hostAndPort.substring(colon + 1);
        if (IPV6.matcher(host).matches()) {
            host = host.substring(1, host.length() - 1);
        } else if (!HOST_NAME.matcher(host).matches()) {
            throw refused(text, "'" + host + "' is not a host name or address");
        }
        if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
            throw refused(text, "the port of " + host + " must be a whole number from 1 to 65535, was '" + port + "'");
        }
        return new Host(host, Integer.parseInt(port));
    }

    /** Percent-decoding as in URIs, where '+' stays a '+'. */
    private static String decoded(String text) {
        try {
            return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformedEscape) {
            return text;
        }
    }

    private static IllegalArgumentException refused(String text, String why) {
        return new IllegalArgumentException("must look like " + FORMS + " (" + why + "), was '" + masked(text) + "'");
    }

    /** A URL that may be malformed and still hold a password: everything between "//" and the last "@" goes. */
    static String masked(String raw) {
        int start = raw.indexOf("//");
        int at = raw.lastIndexOf('@');
        return start >= 0 && at > start ? raw.substring(0, start + 2) + "***" + raw.substring(at) : raw;
    }

    /** The password as written and as meant (they differ when it is percent-encoded); none without one. */
    public List<String> secrets() {
        if (password == null) {
            return List.of();
        }
        String info = written.substring(written.indexOf("://") + 3, written.lastIndexOf('@'));
        return List.of(password, info.substring(info.indexOf(':') + 1));
    }

    /** The URL with its password masked (a user stays): for logs, messages and the settings shown at start-up. */
    @Override
    public String toString() {
        if (password == null) {
            return written;
        }
        int start = written.indexOf("://") + 3;
        int at = written.lastIndexOf('@');
        String info = written.substring(start, at);
        int colon = info.indexOf(':');
        return written.substring(0, start) + (colon < 0 ? "***" : info.substring(0, colon + 1) + "***")
                + written.substring(at);
    }
}
