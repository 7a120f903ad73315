-- n8n fallback chain: the circuit breaker's state and the runners' idempotency ledger.
-- Times are epoch seconds (REAL), compared with the clock of the process that reads them.
CREATE TABLE fallback_breaker (
    project_id   TEXT NOT NULL,
    tier         TEXT NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0,
    opened_until REAL NOT NULL DEFAULT 0,
    last_error   TEXT,
    updated_at   REAL NOT NULL,
    PRIMARY KEY (project_id, tier)
);

-- One row per idempotency key a task runner (tier1 task-api, tier1 run-task) accepted:
-- a second request with the same key gets this row's result instead of running the task again.
CREATE TABLE fallback_runs (
    idempotency_key TEXT PRIMARY KEY,
    task            TEXT NOT NULL,
    status          TEXT NOT NULL,
    result          TEXT,
    runner          TEXT,
    started_at      REAL NOT NULL,
    finished_at     REAL
);
