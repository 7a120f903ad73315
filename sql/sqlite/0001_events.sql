-- The audit trail. Timestamps are ISO 8601 UTC text with microseconds, so text order is time order.
CREATE TABLE automation_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    event_uuid     TEXT NOT NULL UNIQUE,
    event_type     TEXT NOT NULL,
    project_id     TEXT NOT NULL,
    status         TEXT NOT NULL,
    evidence       TEXT NOT NULL DEFAULT '{}',
    detected_from  TEXT NOT NULL DEFAULT '',
    metadata       TEXT NOT NULL DEFAULT '{}',
    correlation_id TEXT,
    created_at     TEXT NOT NULL,
    resolved_at    TEXT
);
CREATE INDEX idx_events_type ON automation_events (event_type);
CREATE INDEX idx_events_project ON automation_events (project_id);
CREATE INDEX idx_events_status ON automation_events (status);
CREATE INDEX idx_events_created ON automation_events (created_at);
CREATE INDEX idx_events_project_type_created ON automation_events (project_id, event_type, created_at);
CREATE INDEX idx_events_correlation ON automation_events (correlation_id) WHERE correlation_id IS NOT NULL;

CREATE TABLE automation_events_archive (
    id             INTEGER PRIMARY KEY,
    event_uuid     TEXT NOT NULL UNIQUE,
    event_type     TEXT NOT NULL,
    project_id     TEXT NOT NULL,
    status         TEXT NOT NULL,
    evidence       TEXT NOT NULL,
    detected_from  TEXT NOT NULL,
    metadata       TEXT NOT NULL,
    correlation_id TEXT,
    created_at     TEXT NOT NULL,
    resolved_at    TEXT
);
