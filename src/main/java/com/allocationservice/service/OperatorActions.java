package com.allocationservice.service;

/**
 * What an operator does to messages that could not go through (parked outbox rows, dead letters), each
 * action recorded with who did it, when and what, in the same transaction as the change it records
 * when the change is in the database.
 */
public interface OperatorActions {

    /** What was done: {@code action} is replay, replay_all or discard; {@code kind} dead_letter or parked. */
    record Action(String who, String action, String kind, String targetId, int affected, String reason) {
    }

    /** For an app without a database of its own (tests): every action is refused as unavailable. */
    OperatorActions UNAVAILABLE = new OperatorActions() {
        @Override
        public void record(Action action) {
            throw unavailable();
        }

        @Override
        public boolean replayParked(long id, String who) {
            throw unavailable();
        }

        @Override
        public int replayAllParked(String who) {
            throw unavailable();
        }

        @Override
        public boolean discardParked(long id, String who, String reason) {
            throw unavailable();
        }

        private StorageUnavailable unavailable() {
            return new StorageUnavailable("operators' actions are not configured", null);
        }
    };

    /** Records an action done elsewhere (on the dead-letter stream, in Redis). */
    void record(Action action);

    /**
     * Moves the parked row back into the outbox with its attempts reset, and records it; false (nothing
     * done, nothing recorded) when there is no such row, as when it was replayed or discarded already.
     */
    boolean replayParked(long id, String who);

    /** Moves every parked row back into the outbox, in id order, and records it; how many moved. */
    int replayAllParked(String who);

    /** Deletes the parked row and records why; false when there is no such row. */
    boolean discardParked(long id, String who, String reason);
}
