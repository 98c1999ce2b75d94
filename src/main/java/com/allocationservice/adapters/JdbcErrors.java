package com.allocationservice.adapters;

import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.service.StorageUnavailable;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Optional;
import java.util.Set;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVStoreException;

/** Turns a JDBC failure into the service layer's terms: a retryable conflict, an outage, or a bug. */
final class JdbcErrors {

    static final String FULL = "storage full";
    static final String READ_ONLY = "storage read-only";
    static final String FAILED = "storage failed; reopening it";
    /** PostgreSQL's lock timeout: another transaction held a product (or a message id) longer than {@code dbLock}. */
    static final String BUSY = "storage busy";

    /** Unique violation, serialization failure, deadlock (PostgreSQL and H2), H2's lock timeout. */
    private static final Set<String> CONFLICT_STATES = Set.of("23505", "40001", "40P01", "HYT00");

    /**
     * Connection exceptions (08), operator intervention such as a terminated backend, a dropped
     * database or a statement timeout (57), a database that does not exist (3D000), and PostgreSQL's
     * lock timeout (55P03: a lock held that long means something is stuck or overloaded, not a race to
     * retry; answered as {@link #BUSY}).
     */
    private static final Set<String> UNAVAILABLE_STATES = Set.of("08", "57", "3D000", "55P03");

    /**
     * H2's errors for a store it cannot use (H2's SQL state is its error code): the database closed
     * (90098, what every session sees once a write to the file failed: H2 then closes the whole
     * database), an I/O error (90028, 90031), a corrupt file (90030), a database shutting down (90121).
     * A write that fails in the file itself comes as a general error (50000) caused by an
     * {@code MVStoreException} of the file ({@link #MV_STORE_FILE_ERRORS}).
     */
    private static final Set<String> H2_STORE_STATES = Set.of("90098", "90028", "90031", "90030", "90121");

    /**
     * The {@code MVStoreException}s of H2's file: reading or writing failed, store closed, file corrupt
     * (not the ones of its transactions, such as a lock wait that timed out, which are conflicts).
     */
    private static final Set<Integer> MV_STORE_FILE_ERRORS = Set.of(DataUtils.ERROR_READING_FAILED,
            DataUtils.ERROR_WRITING_FAILED, DataUtils.ERROR_CLOSED, DataUtils.ERROR_FILE_CORRUPT);

    private JdbcErrors() {
    }

    static RuntimeException translate(String doing, SQLException e) {
        String state = e.getSQLState();
        if (state != null && CONFLICT_STATES.contains(state)) {
            return new ConcurrencyConflict(doing + ": " + e.getMessage(), e);
        }
        if ("55P03".equals(state)) {
            return new StorageUnavailable(BUSY, doing + ": " + BUSY + " (" + e.getMessage() + ")", e);
        }
        if (e instanceof SQLTransientConnectionException || e instanceof SQLNonTransientConnectionException
                || e instanceof SQLRecoverableException || (state != null && UNAVAILABLE_STATES.stream().anyMatch(state::startsWith))
                || storageFault(e).isPresent()) {
            return unavailable(doing, e);
        }
        return new IllegalStateException(doing + " failed: " + e.getMessage(), e);
    }

    /**
     * A failure of {@code Connection.commit()} itself. An outage that names no storage fault of its own
     * (the connection broke: the COMMIT may have reached the server and been kept, its answer lost) is
     * {@link StorageUnavailable#OUTCOME_UNKNOWN}, even within {@link #FAULT_WINDOW} of a fault; an
     * answer from the server (a conflict, a full disk, a lock timeout) means it did not commit, and is
     * translated as any other failure.
     */
    static RuntimeException translateCommit(SQLException e) {
        RuntimeException translated = translate("committing", e);
        if (translated instanceof StorageUnavailable unavailable && !BUSY.equals(unavailable.reason())
                && storageFault(e).isEmpty()) {
            return new StorageUnavailable(StorageUnavailable.OUTCOME_UNKNOWN,
                    "committing: " + StorageUnavailable.OUTCOME_UNKNOWN + " (" + e.getMessage() + ")", e);
        }
        return translated;
    }

    /**
     * An outage, whatever the SQL state: named after the storage fault it is, or after one seen in the
     * last {@link #FAULT_WINDOW} (a connection closed, or not had in time, while the store is being
     * reopened after a full disk is that fault's doing), else unreachable.
     */
    static StorageUnavailable unavailable(String doing, SQLException e) {
        Optional<String> fault = storageFault(e);
        Fault last = lastFault;
        if (fault.isPresent()) {
            lastFault = new Fault(fault.get(), System.nanoTime());
        } else if (last != null && System.nanoTime() - last.at() <= FAULT_WINDOW.toNanos()) {
            fault = Optional.of(last.reason());
        }
        return fault.map(reason -> new StorageUnavailable(reason, doing + ": " + reason, e))
                .orElseGet(() -> new StorageUnavailable(doing + ": database unreachable", e));
    }

    /** Longer than a request waits for a connection (the default connect timeout, 5 s). */
    private static final Duration FAULT_WINDOW = Duration.ofSeconds(10);

    private record Fault(String reason, long at) {
    }

    private static volatile Fault lastFault;

    /**
     * The store cannot take writes: {@link #FULL} (no space left on the device; PostgreSQL's
     * disk_full, 53100), {@link #READ_ONLY} (a read-only file system or file, H2's database opened
     * read-only, 90097; PostgreSQL's read_only_sql_transaction, 25006), or {@link #FAILED} (H2 closed
     * or cannot use its file, for no cause found below). The causes are searched because H2 wraps the
     * file system's {@code IOException} in one or two layers.
     */
    static Optional<String> storageFault(Throwable failure) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        boolean h2Store = false;
        for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (message.contains("No space left on device") || t instanceof SQLException sql && "53100".equals(sql.getSQLState())) {
                return Optional.of(FULL);
            }
            if (t instanceof AccessDeniedException || t instanceof IOException && (message.contains("Read-only file system")
                    || message.contains("Operation not permitted") || message.contains("Permission denied"))
                    || t instanceof SQLException sql && ("90097".equals(sql.getSQLState()) || "25006".equals(sql.getSQLState()))) {
                return Optional.of(READ_ONLY);
            }
            h2Store |= t instanceof SQLException sql && sql.getSQLState() != null && H2_STORE_STATES.contains(sql.getSQLState())
                    || t instanceof MVStoreException store && MV_STORE_FILE_ERRORS.contains(store.getErrorCode());
        }
        return h2Store ? Optional.of(FAILED) : Optional.empty();
    }
}
