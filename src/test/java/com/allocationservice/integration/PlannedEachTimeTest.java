package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.adapters.Database;
import com.allocationservice.adapters.JdbcUnitOfWork;
import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.Command;
import com.allocationservice.service.MessageBus;
import com.allocationservice.support.TestDatabase;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * On PostgreSQL the group's load is planned at each execution ({@code Database.planEachTime}): the
 * driver never prepares it on the server, where a plan made while order_lines was empty would be kept
 * and would hash the whole table at every load once it had grown. Statements whose plan does not
 * depend on the tables' size, like the compare-and-set, are prepared as usual.
 */
class PlannedEachTimeTest {

    @Test
    void the_load_is_never_prepared_on_the_server_while_the_compare_and_set_is() throws Exception {
        try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.POSTGRES);
             HikariDataSource oneConnection = Database.pool(db.url(), db.user(), "", 1)) {
            MessageBus bus = Bootstrap.bus(JdbcUnitOfWork.factory(oneConnection));
            bus.handle(new Command.CreateBatch("b1", "LAMP", 1_000, null));
            for (int i = 0; i < 12; i++) {
                bus.handle(new Command.Allocate("o" + i, "LAMP", 1));
            }
            List<String> prepared = new ArrayList<>();
            try (Connection c = oneConnection.getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT statement FROM pg_prepared_statements")) {
                while (rs.next()) {
                    prepared.add(rs.getString(1));
                }
                c.rollback();
            }
            assertThat(prepared).as("statements prepared on the server by the service's one connection")
                    .anyMatch(sql -> sql.startsWith("MERGE INTO products p"))
                    .noneMatch(sql -> sql.contains("FROM products p LEFT JOIN batches b"));
        }
    }
}
