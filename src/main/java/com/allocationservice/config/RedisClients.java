package com.allocationservice.config;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLParameters;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisSentinelClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * The one place a Redis client is built from the configured {@link RedisUrl}, with the configured
 * connect and socket timeouts. TLS ({@code rediss://}, {@code rediss-sentinel://}) verifies the
 * certificate against the JVM's trust store, and its host name against the one connected to (which
 * Jedis alone does not check). Blocking reads ({@code XREADGROUP BLOCK}) wait their own block time
 * plus the socket timeout; a pub/sub subscription reads with the socket timeout too (Jedis's
 * "infinite" timeout is the blocking one), so its owner must keep it from falling silent that long.
 *
 * <p>With Sentinels, the client asks them for the primary when built (so at least one must answer
 * then), and keeps a subscription to {@code +switch-master} on each: on a failover it replaces its
 * pool of connections to the old primary with one to the new. Connections borrowed at that moment (a
 * blocking read, a subscription) are closed when given back; until then they fail on their own when
 * the old primary is gone, answer {@code -UNBLOCKED} or {@code -READONLY} once it is a replica, or
 * stay silent up to the socket timeout. Callers hold the common supertype, {@link UnifiedJedis}.
 * The subscriptions to the Sentinels wait without a timeout (they are silent but for failovers: with
 * one, each would end every socket timeout and wait 5 s to subscribe again, missing a failover then);
 * a Sentinel that vanishes without closing is covered by the others.
 */
public final class RedisClients {

    private RedisClients() {
    }

    public static UnifiedJedis create(RedisUrl url, Duration connectTimeout, Duration socketTimeout) {
        DefaultJedisClientConfig dataNodes = config(url, connectTimeout, socketTimeout).user(url.user())
                .password(url.password()).database(url.database()).build();
        if (!url.sentinel()) {
            RedisUrl.Host server = url.hosts().getFirst();
            return RedisClient.builder().hostAndPort(new HostAndPort(server.host(), server.port()))
                    .clientConfig(dataNodes).build();
        }
        Set<HostAndPort> sentinels = new LinkedHashSet<>();
        url.hosts().forEach(sentinel -> sentinels.add(new HostAndPort(sentinel.host(), sentinel.port())));
        return RedisSentinelClient.builder().masterName(url.master().orElseThrow()).sentinels(sentinels)
                .clientConfig(dataNodes).sentinelClientConfig(config(url, connectTimeout, socketTimeout)
                        .blockingSocketTimeoutMillis(0).build())
                .build();
    }

    public static UnifiedJedis create(RedisUrl url, Settings.Timeouts timeouts) {
        return create(url, timeouts.redisConnect(), timeouts.redisSocket());
    }

    /** Reads a URL in one of {@link RedisUrl#FORMS} and builds its client: for tests and tools. */
    public static UnifiedJedis create(String url, Settings.Timeouts timeouts) {
        return create(RedisUrl.parse(url), timeouts);
    }

    /** The primary the client sends its commands to now, as the Sentinels last said; empty for one server. */
    public static Optional<HostAndPort> primary(UnifiedJedis redis) {
        return redis instanceof RedisSentinelClient sentineled ? Optional.of(sentineled.getCurrentMaster())
                : Optional.empty();
    }

    /** Timeouts and TLS: the same for the data nodes and the Sentinels. */
    private static DefaultJedisClientConfig.Builder config(RedisUrl url, Duration connectTimeout,
            Duration socketTimeout) {
        SSLParameters tls = new SSLParameters();
        tls.setEndpointIdentificationAlgorithm("HTTPS");
        return DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(Math.toIntExact(connectTimeout.toMillis()))
                .socketTimeoutMillis(Math.toIntExact(socketTimeout.toMillis()))
                .blockingSocketTimeoutMillis(Math.toIntExact(socketTimeout.toMillis()))
                .ssl(url.tls())
                .sslParameters(tls);
    }
}
