package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.adapters.RedisEventPublisher;
import com.allocationservice.config.RedisClients;
import com.allocationservice.config.Settings;
import com.allocationservice.service.EventPublisher.Outgoing;
import com.allocationservice.service.EventPublisher.Via;
import com.allocationservice.support.RedisTestServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * {@link RedisEventPublisher} against servers of the test's own: a batch that replicas do not confirm,
 * and a server that cannot take writes (a replica: what a primary is after a failover), fail whole,
 * as an outage, rather than refusing messages one by one (which would count attempts against them).
 */
class RedisEventPublisherTest {

    private static final List<Outgoing> BATCH = List.of(
            new Outgoing("m1", Via.STREAM, "line_allocated", "{\"id\":\"m1\"}"),
            new Outgoing("m1", Via.PUBSUB, "line_allocated", "{\"id\":\"m1\"}"));

    @Test
    void a_batch_fewer_replicas_confirm_than_asked_for_fails_whole() {
        try (RedisTestServer primary = RedisTestServer.start(List.of());
             RedisEventPublisher publisher = new RedisEventPublisher(
                     RedisClients.create(primary.url(), Settings.defaults().timeouts()), 1, Duration.ofMillis(100))) {
            assertThatThrownBy(() -> publisher.publish(BATCH)).isInstanceOf(RedisEventPublisher.ReplicasShort.class)
                    .hasMessage("0 of 1 replicas confirmed the messages within 100 ms (WAIT)");
            assertThat(publisher.confirmedReplicas()).isZero();
            assertThat(publisher.shortWaits()).isEqualTo(1);
        }
    }

    @Test
    void a_server_that_takes_no_writes_fails_the_batch_whole_instead_of_refusing_its_messages() {
        try (RedisTestServer primary = RedisTestServer.start(List.of());
             RedisTestServer replica = RedisTestServer.start(List.of("--replicaof", "127.0.0.1",
                     Integer.toString(primary.port()), "--dir", System.getProperty("java.io.tmpdir")));
             RedisEventPublisher publisher = new RedisEventPublisher(
                     RedisClients.create(replica.url(), Settings.defaults().timeouts()))) {
            assertThatThrownBy(() -> publisher.publish(BATCH)).isInstanceOf(JedisDataException.class)
                    .hasMessageStartingWith("READONLY");
        }
    }
}
