package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.support.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code ALLOCATION_READ_DB_URL}: the views read through a pool of their own, on that URL (standbys,
 * in production; here a second URL to the test database); its connections are read-only, so the
 * writes succeeding shows they did not go through it. Which server a
 * multi-host URL picks is pgjdbc's; reading from a real standby is the end-to-end tier's
 * ({@code e2e.PatroniFailoverEndToEndTest}).
 */
class ReadSideTest {

    private TestService api;

    @AfterEach
    void stop() {
        if (api != null) {
            api.close();
        }
    }

    @Test
    void the_views_read_through_the_read_side_pool_and_only_the_views_do() throws Exception {
        api = TestService.start(TestDatabase.Kind.POSTGRES, db -> Map.of("ALLOCATION_READ_DB_URL", db.url()));
        assertThat(api.post("/add_batch", "{\"ref\": \"b1\", \"sku\": \"LAMP\", \"qty\": 10}").statusCode()).isEqualTo(201);
        assertThat(api.post("/allocate", "{\"orderid\": \"o1\", \"sku\": \"LAMP\", \"qty\": 2}").statusCode()).isEqualTo(202);

        assertThat(api.get("/allocations/o1").body()).contains("\"batchref\":\"b1\"");
        assertThat(api.get("/products/LAMP/stock").body()).contains("\"allocated\":2");

        String name = api.db().url().substring(api.db().url().lastIndexOf('/') + 1);
        assertThat(sessions(name, "allocation-read")).as("the read side's pool connects on first use: by a view")
                .isNotEmpty();
        assertThat(sessions(name, "allocation")).as("the writes' sessions").isNotEmpty();
    }

    /** The last statement of each session of the application on the database. */
    private static List<String> sessions(String database, String application) throws Exception {
        List<String> statements = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(TestDatabase.postgresServerUrl(), "postgres", "");
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT query FROM pg_stat_activity WHERE datname = '" + database
                     + "' AND application_name = '" + application + "'")) {
            while (rs.next()) {
                statements.add(rs.getString(1));
            }
        }
        return statements;
    }
}
