-- Roles for the automation_events table.  Run as the table's owner after `tier1 db upgrade`:
--   psql "$DATABASE_URL" -f roles.sql
-- The writer stores and resolves events but can never delete them: the audit trail is
-- append-only for the applications that write it.  Archiving is an owner's job.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'automation_writer') THEN
        CREATE ROLE automation_writer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'automation_reader') THEN
        CREATE ROLE automation_reader NOLOGIN;
    END IF;
END
$$;

REVOKE ALL ON automation_events FROM automation_writer, automation_reader;
GRANT SELECT, INSERT, UPDATE ON automation_events TO automation_writer;
GRANT USAGE ON SEQUENCE automation_events_id_seq TO automation_writer;
GRANT EXECUTE ON FUNCTION tier1_ensure_partition(TIMESTAMPTZ) TO automation_writer;
GRANT SELECT ON automation_events TO automation_reader;
GRANT SELECT ON tier1_schema_version TO automation_writer, automation_reader;

-- The todo list the Claude Code hook keeps (migration 0002): the writer maintains it.
GRANT SELECT, INSERT, UPDATE ON todos TO automation_writer;
GRANT USAGE ON SEQUENCE todos_id_seq TO automation_writer;
GRANT SELECT ON todos TO automation_reader;

-- The n8n fallback chain's circuit breaker and idempotency ledger (migration 0003).
GRANT SELECT, INSERT, UPDATE ON fallback_breaker, fallback_runs TO automation_writer;
GRANT SELECT ON fallback_breaker, fallback_runs TO automation_reader;
