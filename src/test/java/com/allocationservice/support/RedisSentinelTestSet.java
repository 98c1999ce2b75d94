package com.allocationservice.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;

/**
 * A primary, one replica and three Sentinels of the test's own, on free loopback ports: the smallest
 * set in which Sentinel fails over (a quorum of two). Sentinels mark the primary down after a second
 * without an answer. {@link #start} returns once every Sentinel knows the replica and the two other
 * Sentinels, so a failover can be asked for at once. Every process is stopped by its own id on
 * {@link #close}, whatever was done to it.
 */
public final class RedisSentinelTestSet implements AutoCloseable {

    public static final String MASTER = "allocation";
    /** The data nodes' password (the default user's): the service's, in {@link #url}. */
    public static final String PASSWORD = "data-pass-8Qm";
    /**
     * The servers' options: a password, the ACL user the Sentinels log in as (see {@link #cutOffFromSentinels}),
     * and a replica's full sync started at once (Redis waits 5 s by default, for more replicas to share it).
     */
    private static final List<String> SERVER_OPTIONS = List.of("--requirepass", PASSWORD, "--masterauth", PASSWORD,
            "--user", "sentinel", "on", ">sentinel-pass-4Tz", "~*", "&*", "+@all", "--repl-diskless-sync-delay", "0");

    private final RedisTestServer primary;
    private final RedisTestServer replica;
    private final List<Process> sentinels = new ArrayList<>();
    private final List<Integer> sentinelPorts = new ArrayList<>();

    private RedisSentinelTestSet(RedisTestServer primary, RedisTestServer replica) {
        this.primary = primary;
        this.replica = replica;
    }

    public static RedisSentinelTestSet start() {
        String dir;
        try {
            // replication writes RDB files, and Sentinel's reconfiguration the config: not in the working directory
            dir = Files.createTempDirectory("redis-sentinel-set").toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> options = new ArrayList<>(List.of("--dir", dir));
        options.addAll(SERVER_OPTIONS);
        RedisTestServer primary = RedisTestServer.start(options);
        RedisSentinelTestSet set = null;
        try {
            options.addAll(List.of("--replicaof", "127.0.0.1", Integer.toString(primary.port())));
            set = new RedisSentinelTestSet(primary, RedisTestServer.start(options));
            for (int i = 0; i < 3; i++) {
                set.startSentinel();
            }
            set.awaitReady();
            return set;
        } catch (RuntimeException e) {
            if (set != null) {
                set.close();
            } else {
                primary.close();
            }
            throw e;
        }
    }

    /** {@code redis-sentinel://:<password>@127.0.0.1:<port>,...#allocation}, this set's Sentinels. */
    public String url() {
        List<String> hosts = sentinelPorts.stream().map(port -> "127.0.0.1:" + port).toList();
        return "redis-sentinel://:" + PASSWORD + "@" + String.join(",", hosts) + "#" + MASTER;
    }

    /** A client of the data node on this port, logged in. */
    public static Jedis dataNode(int port) {
        Jedis jedis = new Jedis("127.0.0.1", port);
        jedis.auth(PASSWORD);
        return jedis;
    }

    /** The server that was the primary when the set started. */
    public RedisTestServer firstPrimary() {
        return primary;
    }

    /** The server that was the replica when the set started. */
    public RedisTestServer firstReplica() {
        return replica;
    }

    /** The primary as the first Sentinel that answers names it now. */
    public HostAndPort currentPrimary() {
        for (int port : sentinelPorts) {
            try (Jedis sentinel = new Jedis("127.0.0.1", port)) {
                List<String> address = sentinel.sentinelGetMasterAddrByName(MASTER);
                return new HostAndPort(address.get(0), Integer.parseInt(address.get(1)));
            } catch (RuntimeException tryTheNext) {
                // a Sentinel that does not answer: ask the next
            }
        }
        throw new IllegalStateException("no Sentinel answers");
    }

    /**
     * Cuts a server off from the Sentinels, not from the service: it no longer lets their user in (and
     * the default user needs the password they do not have). They then see it down, and cannot make it
     * a replica after a failover: a partition that leaves the service on the side of the old primary.
     */
    public void cutOffFromSentinels(RedisTestServer server) {
        try (Jedis jedis = dataNode(server.port())) {
            jedis.aclSetUser("sentinel", "off");
            jedis.sendCommand(Protocol.Command.CLIENT, "KILL", "USER", "sentinel");
        }
    }

    /** Asks a Sentinel to fail over now: the replica is promoted, the primary (if it answers) made its replica. */
    public void failover() {
        try (Jedis sentinel = new Jedis("127.0.0.1", sentinelPorts.getFirst())) {
            sentinel.sentinelFailover(MASTER);
        }
    }

    /** Stops (SIGSTOP) or resumes (SIGCONT) a server: it keeps its connections but answers nothing. */
    public static void signal(RedisTestServer server, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(server.pid())).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + server.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        for (Process sentinel : sentinels) {
            sentinel.destroyForcibly();
        }
        for (Process sentinel : sentinels) {
            try {
                sentinel.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (RedisTestServer server : List.of(replica, primary)) {
            try {
                signal(server, "CONT");
            } catch (RuntimeException notRunning) {
                // killed already
            }
            server.close();
        }
    }

    private void startSentinel() {
        int port = Ports.free();
        sentinels.add(sentinel(port, List.of("port " + port,
                "sentinel monitor " + MASTER + " 127.0.0.1 " + primary.port() + " 2",
                "sentinel down-after-milliseconds " + MASTER + " 1000",
                "sentinel failover-timeout " + MASTER + " 10000",
                "sentinel parallel-syncs " + MASTER + " 1",
                "sentinel auth-user " + MASTER + " sentinel",
                "sentinel auth-pass " + MASTER + " sentinel-pass-4Tz")));
        sentinelPorts.add(port);
    }

    /**
     * A Sentinel with these lines of configuration (besides binding 127.0.0.1), once it accepts
     * connections on this port; the caller stops the process.
     */
    public static Process sentinel(int port, List<String> configuration) {
        try {
            Path config = Files.createTempFile("sentinel-" + port, ".conf");
            List<String> lines = new ArrayList<>(List.of("bind 127.0.0.1", "daemonize no"));
            lines.addAll(configuration);
            Files.write(config, lines);
            Path log = Files.createTempFile("sentinel-" + port, ".log");
            Process process = new ProcessBuilder(RedisTestServer.binary(), config.toString(), "--sentinel")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                        .until(() -> {
                            try (Socket ignored = new Socket("127.0.0.1", port)) {
                                return true;
                            }
                        });
            } catch (RuntimeException e) {
                process.destroyForcibly();
                throw e;
            }
            return process;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every Sentinel knows the replica and the two others (they find each other through the primary). */
    private void awaitReady() {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> sentinelPorts.stream().allMatch(port -> {
                    try (Jedis sentinel = new Jedis("127.0.0.1", port)) {
                        Map<String, String> master = sentinel.sentinelMaster(MASTER);
                        return "1".equals(master.get("num-slaves")) && "2".equals(master.get("num-other-sentinels"));
                    }
                }));
        try (Jedis replicaClient = dataNode(replica.port())) {
            await().atMost(Duration.ofSeconds(10)).until(() -> replicaClient.info("replication")
                    .contains("master_link_status:up"));
        }
    }
}
