package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.adapters.Database;
import com.allocationservice.adapters.JdbcUnitOfWork;
import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.config.Settings;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.service.MessageBus;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded default's H2 file, seen through a file system that counts writes and fsyncs: a
 * command returns only once what it wrote is fsynced, and concurrent commits share fsyncs.
 */
class EmbeddedDurabilityTest {

    @TempDir
    Path dir;

    private HikariDataSource dataSource;

    @BeforeEach
    void open() {
        SyncCountingFilePath.reset();
        // the embedded default's settings, on the counting file system in a directory of this test
        String url = Settings.EMBEDDED_DB_URL.replace("jdbc:h2:file:./data/", "jdbc:h2:syncs:file:" + dir + "/");
        assertThat(url).contains("syncs:file:").contains("WRITE_DELAY=0");
        dataSource = Database.open(url, "sa", "", 8);
    }

    @AfterEach
    void close() {
        dataSource.close();
    }

    @Test
    void every_command_returns_only_after_its_commit_is_fsynced() {
        MessageBus bus = Bootstrap.bus(JdbcUnitOfWork.factory(dataSource));
        bus.handle(new CreateBatch("batch-1", "LAMP", 1000, null));
        assertThat(SyncCountingFilePath.unsyncedWrites()).isZero();
        int syncsBefore = SyncCountingFilePath.syncs();
        for (int i = 0; i < 20; i++) {
            bus.handle(new Allocate("order-" + i, "LAMP", 1));
            assertThat(SyncCountingFilePath.unsyncedWrites()).as("writes not fsynced after allocation %d", i).isZero();
        }
        assertThat(SyncCountingFilePath.syncs() - syncsBefore).isGreaterThanOrEqualTo(20);
    }

    @Test
    void concurrent_commits_share_fsyncs() throws Exception {
        MessageBus bus = Bootstrap.bus(JdbcUnitOfWork.factory(dataSource));
        for (int t = 0; t < 8; t++) {
            bus.handle(new CreateBatch("batch-" + t, "SKU-" + t, 1000, null));
        }
        int syncsBefore = SyncCountingFilePath.syncs();
        AtomicInteger commits = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            String sku = "SKU-" + t;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 40; i++) {
                    bus.handle(new Allocate(sku + "-order-" + i, sku, 1));
                    commits.incrementAndGet();
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(commits).hasValue(320);
        assertThat(SyncCountingFilePath.unsyncedWrites()).isZero();
        assertThat(SyncCountingFilePath.syncs() - syncsBefore).as("fsyncs for 320 commits from 8 threads")
                .isPositive().isLessThan(320);
    }
}
