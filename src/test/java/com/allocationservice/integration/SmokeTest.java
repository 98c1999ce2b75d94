package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.domain.Outcome;
import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.Command;
import com.allocationservice.service.MessageBus;
import com.allocationservice.adapters.JdbcUnitOfWork;
import com.allocationservice.support.TestDatabase;
import java.time.LocalDate;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SmokeTest {

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void allocates_through_the_bus_on_each_database(TestDatabase.Kind kind) {
        try (TestDatabase db = TestDatabase.create(kind)) {
            MessageBus bus = Bootstrap.bus(JdbcUnitOfWork.factory(db.dataSource()));
            bus.handle(new Command.CreateBatch("b1", "LAMP", 10, null));
            bus.handle(new Command.CreateBatch("b2", "LAMP", 10, LocalDate.of(2030, 1, 1)));
            assertThat(bus.handle(new Command.Allocate("o1", "LAMP", 8))).isEqualTo(new Outcome.Allocated("b1"));
            assertThat(bus.handle(new Command.Allocate("o2", "LAMP", 8))).isEqualTo(new Outcome.Allocated("b2"));
            assertThat(bus.handle(new Command.Allocate("o1", "LAMP", 8))).isEqualTo(new Outcome.Allocated("b1"));
            bus.handle(new Command.ChangeBatchQuantity("b1", 5));
            // o1 (8) left b1 and fits nowhere else: it waits as a backorder, and b1 is free again
            assertThat(bus.handle(new Command.Allocate("o3", "LAMP", 2))).isEqualTo(new Outcome.Allocated("b1"));
        }
    }
}
