package com.allocationservice.integration;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.util.concurrent.atomic.AtomicInteger;
import org.h2.store.fs.FileBase;
import org.h2.store.fs.FilePath;
import org.h2.store.fs.FilePathWrapper;

/**
 * An H2 file system ({@code jdbc:h2:syncs:file:...}) over the real disk that counts writes and
 * fsyncs of the database file: {@link #unsyncedWrites} is how many writes no fsync has followed yet.
 */
public final class SyncCountingFilePath extends FilePathWrapper {

    private static final AtomicInteger UNSYNCED_WRITES = new AtomicInteger();
    private static final AtomicInteger SYNCS = new AtomicInteger();

    static {
        FilePath.register(new SyncCountingFilePath());
    }

    /** Registers the scheme (once) and resets the counters. */
    public static void reset() {
        UNSYNCED_WRITES.set(0);
        SYNCS.set(0);
    }

    public static int unsyncedWrites() {
        return UNSYNCED_WRITES.get();
    }

    public static int syncs() {
        return SYNCS.get();
    }

    @Override
    public String getScheme() {
        return "syncs";
    }

    @Override
    public FileChannel open(String mode) throws IOException {
        FileChannel channel = getBase().open(mode);
        return getBase().getName().endsWith(".mv.db") ? new Counting(channel) : channel;
    }

    private static final class Counting extends FileBase {
        private final FileChannel base;

        Counting(FileChannel base) {
            this.base = base;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return base.read(dst);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return base.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            UNSYNCED_WRITES.incrementAndGet();
            return base.write(src);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            UNSYNCED_WRITES.incrementAndGet();
            return base.write(src, position);
        }

        @Override
        public void force(boolean metaData) throws IOException {
            int covered = UNSYNCED_WRITES.get();
            base.force(metaData);
            UNSYNCED_WRITES.addAndGet(-covered);
            SYNCS.incrementAndGet();
        }

        @Override
        public long position() throws IOException {
            return base.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            base.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return base.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            base.truncate(size);
            return this;
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return base.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            base.close();
        }
    }
}
