package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.adapters.Database;
import com.allocationservice.adapters.JdbcUnitOfWork;
import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.Command;
import com.allocationservice.domain.Outcome;
import com.allocationservice.service.MessageBus;
import com.allocationservice.support.TestDatabase;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * On PostgreSQL a plan the server keeps for a prepared statement was made for the tables as they were
 * then. The load for allocations alone reads one table per statement by its index, with sequential
 * scans ruled out, so it is prepared on the server and its plans, made while the tables were empty,
 * still read by index once the tables have grown. The load for any need joins tables, and is planned
 * at each execution ({@code Database.planEachTime}).
 */
class KeptPlansTest {

    @Test
    void the_allocation_loads_plans_made_on_empty_tables_still_read_by_index_once_the_tables_have_grown()
            throws Exception {
        try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.POSTGRES);
             HikariDataSource oneConnection = Database.pool(db.url(), db.user(), "", 1)) {
            sql(oneConnection, "ALTER TABLE order_lines SET (autovacuum_enabled = false)", "ANALYZE");
            MessageBus bus = Bootstrap.bus(JdbcUnitOfWork.factory(oneConnection));
            bus.handle(new Command.CreateBatch("b1", "LAMP", 1_000_000, null));
            for (int i = 0; i < 12; i++) {
                bus.handle(new Command.Allocate("o" + i, "LAMP", 1));
            }
            assertThat(column(oneConnection, "SELECT statement FROM pg_prepared_statements"))
                    .as("statements prepared on the server by the service's one connection")
                    .anyMatch(sql -> sql.contains("FROM order_lines WHERE orderid = ANY"))
                    .anyMatch(sql -> sql.startsWith("MERGE INTO products p"))
                    .noneMatch(sql -> sql.contains("FROM products p LEFT JOIN batches b"));

            // grown behind the kept plans' back: no ANALYZE, so no plan is made again
            sql(oneConnection, "INSERT INTO order_lines (orderid, sku, qty, batchref, placed_version) "
                    + "SELECT 'old' || i, 'LAMP', 1, 'b1', 1 FROM generate_series(1, 50000) i");
            long[] before = scans(oneConnection);
            for (int i = 12; i < 24; i++) {
                assertThat(bus.handle(new Command.Allocate("o" + i, "LAMP", 1))).isEqualTo(new Outcome.Allocated("b1"));
            }
            long[] after = scans(oneConnection);
            assertThat(after[1] - before[1]).as("index scans of order_lines").isGreaterThanOrEqualTo(12);
            assertThat(after[0] - before[0]).as("sequential scans of order_lines").isZero();
        }
    }

    /**
     * Sequential and index scans of order_lines, which only the load reads when allocating. The pool's
     * one backend is the one that ran the commands: it reports its counters when it goes idle, and is
     * made to at once.
     */
    private static long[] scans(HikariDataSource dataSource) throws SQLException {
        column(dataSource, "SELECT pg_stat_force_next_flush()");
        List<String> row = column(dataSource, "SELECT seq_scan || ' ' || idx_scan FROM pg_stat_user_tables "
                + "WHERE relname = 'order_lines'");
        String[] figures = row.getFirst().split(" ");
        return new long[] {Long.parseLong(figures[0]), Long.parseLong(figures[1])};
    }

    private static List<String> column(HikariDataSource dataSource, String query) throws SQLException {
        List<String> values = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(query)) {
            while (rs.next()) {
                values.add(rs.getString(1));
            }
            c.rollback();
        }
        return values;
    }

    private static void sql(HikariDataSource dataSource, String... statements) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            for (String statement : statements) {
                st.execute(statement);
            }
            c.commit();
        }
    }
}
