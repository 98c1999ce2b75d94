package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.support.Closing;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClosingTest {

    private final List<String> closed = new ArrayList<>();

    private AutoCloseable resource(String name) {
        return () -> closed.add(name);
    }

    private AutoCloseable failing(String name, Exception failure) {
        return () -> {
            closed.add(name);
            throw failure;
        };
    }

    @Test
    void closes_each_resource_in_order_and_skips_those_never_opened() {
        Closing.all(resource("service"), null, resource("redis"), null, resource("database"));

        assertThat(closed).containsExactly("service", "redis", "database");
    }

    @Test
    void closes_the_rest_after_failures_and_throws_the_first_with_the_others_suppressed() {
        IllegalStateException first = new IllegalStateException("service would not stop");
        IOException second = new IOException("redis would not stop");

        assertThatThrownBy(() -> Closing.all(failing("service", first), resource("proxy"),
                failing("redis", second), resource("database")))
                .isSameAs(first)
                .satisfies(thrown -> assertThat(thrown.getSuppressed()).containsExactly(second));
        assertThat(closed).containsExactly("service", "proxy", "redis", "database");
    }

    @Test
    void a_checked_failure_alone_is_thrown_wrapped() {
        IOException failure = new IOException("database would not drop");

        assertThatThrownBy(() -> Closing.all(List.of(failing("database", failure))))
                .isInstanceOf(IllegalStateException.class).hasCause(failure);
    }
}
