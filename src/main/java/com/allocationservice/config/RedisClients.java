package com.allocationservice.config;

import java.net.URI;
import java.time.Duration;
import javax.net.ssl.SSLParameters;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.util.JedisURIHelper;

/**
 * The one place a Redis client is built from the configured URL: {@code redis://} or
 * {@code rediss://} (TLS: the certificate verified against the JVM's trust store, and its host name
 * against the URL's, which Jedis alone does not check), with an optional user and
 * password and a database index, and the configured connect and socket timeouts. Blocking reads
 * ({@code XREADGROUP BLOCK}) wait their own block time plus the socket timeout; a pub/sub
 * subscription reads with the socket timeout too (Jedis's "infinite" timeout is the blocking one),
 * so its owner must keep it from falling silent that long.
 */
public final class RedisClients {

    private RedisClients() {
    }

    public static RedisClient create(URI url, Duration connectTimeout, Duration socketTimeout) {
        return RedisClient.builder().hostAndPort(JedisURIHelper.getHostAndPort(url))
                .clientConfig(config(url, connectTimeout, socketTimeout)).build();
    }

    public static RedisClient create(URI url, Settings.Timeouts timeouts) {
        return create(url, timeouts.redisConnect(), timeouts.redisSocket());
    }

    private static DefaultJedisClientConfig config(URI url, Duration connectTimeout, Duration socketTimeout) {
        SSLParameters tls = new SSLParameters();
        tls.setEndpointIdentificationAlgorithm("HTTPS");
        return DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(Math.toIntExact(connectTimeout.toMillis()))
                .socketTimeoutMillis(Math.toIntExact(socketTimeout.toMillis()))
                .blockingSocketTimeoutMillis(Math.toIntExact(socketTimeout.toMillis()))
                .user(JedisURIHelper.getUser(url))
                .password(JedisURIHelper.getPassword(url))
                .database(JedisURIHelper.getDBIndex(url))
                .ssl(JedisURIHelper.isRedisSSLScheme(url))
                .sslParameters(tls)
                .build();
    }
}
