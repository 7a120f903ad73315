-- The audit trail, range-partitioned by month on created_at.
-- A partitioned table's unique keys must contain the partition key, hence (id, created_at) and
-- (event_uuid, created_at); created_at is fixed when an event is made, so a redelivered event
-- from the outbox collides with itself and is stored exactly once.
CREATE TABLE automation_events (
    id             BIGSERIAL,
    event_uuid     UUID NOT NULL,
    event_type     TEXT NOT NULL,
    project_id     TEXT NOT NULL,
    status         TEXT NOT NULL,
    evidence       JSONB NOT NULL DEFAULT '{}'::jsonb,
    detected_from  TEXT NOT NULL DEFAULT '',
    metadata       JSONB NOT NULL DEFAULT '{}'::jsonb,
    correlation_id TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    resolved_at    TIMESTAMPTZ,
    PRIMARY KEY (id, created_at),
    UNIQUE (event_uuid, created_at)
) PARTITION BY RANGE (created_at);

-- The seed's five indexes, as PostgreSQL writes them (the seed's inline INDEX is MySQL syntax),
-- plus one for correlation.  Created on the parent, they apply to every partition.
CREATE INDEX idx_events_type ON automation_events (event_type);
CREATE INDEX idx_events_project ON automation_events (project_id);
CREATE INDEX idx_events_status ON automation_events (status);
CREATE INDEX idx_events_created ON automation_events (created_at);
CREATE INDEX idx_events_project_type_created ON automation_events (project_id, event_type, created_at DESC);
CREATE INDEX idx_events_correlation ON automation_events (correlation_id) WHERE correlation_id IS NOT NULL;

-- Creates the month's partition holding ts when missing.  SECURITY DEFINER so that the
-- automation_writer role, which cannot create tables, can still store next month's events.
CREATE OR REPLACE FUNCTION tier1_ensure_partition(ts TIMESTAMPTZ) RETURNS TEXT
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    month_start TIMESTAMPTZ := date_trunc('month', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    partition   TEXT := 'automation_events_' || to_char(month_start AT TIME ZONE 'UTC', 'YYYY_MM');
    parent      TEXT := format('%I.automation_events', current_schema());
BEGIN
    IF to_regclass(format('%I.%I', current_schema(), partition)) IS NULL THEN
        BEGIN
            EXECUTE format('CREATE TABLE IF NOT EXISTS %I.%I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
                           current_schema(), partition, parent, month_start, month_start + INTERVAL '1 month');
        EXCEPTION WHEN duplicate_table OR unique_violation THEN
            NULL;  -- another session created it at the same moment
        END;
    END IF;
    RETURN partition;
END;
$$;

-- The previous, current and next two months exist from the start.
SELECT tier1_ensure_partition(now() + make_interval(months => m)) FROM generate_series(-1, 2) AS m;
