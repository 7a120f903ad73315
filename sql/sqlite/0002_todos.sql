-- The todo list the action-item hook keeps (Claude Code's own list cannot be written by a hook).
-- session_id NULL: an item for every session (`tier1 todos add` without --session).
-- claude_status: the status Claude's own todo tool last reported, so a TodoWrite that merely
-- repeats it does not undo a completion Tier 1 made since.
-- Timestamps are ISO 8601 UTC text, as in automation_events.
CREATE TABLE todos (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id    TEXT NOT NULL,
    session_id    TEXT,
    content       TEXT NOT NULL,
    active_form   TEXT,
    status        TEXT NOT NULL DEFAULT 'pending',
    source        TEXT NOT NULL,
    external_id   TEXT,
    position      INTEGER,
    claude_status TEXT,
    confidence    INTEGER,
    evidence      TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    updated_by    TEXT NOT NULL,
    CHECK (status IN ('pending', 'in_progress', 'pending_review', 'completed', 'cancelled'))
);
CREATE UNIQUE INDEX idx_todos_external ON todos (project_id, session_id, source, external_id)
    WHERE external_id IS NOT NULL;
CREATE INDEX idx_todos_open ON todos (project_id, session_id, status);
