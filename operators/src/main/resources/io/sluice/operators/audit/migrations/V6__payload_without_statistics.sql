-- Planner statistics only for the columns that queries filter, group or sort on. Autovacuum
-- analyzes the table as rows arrive, and by default it samples and sorts every column: on a table
-- of 128,000 turns one ANALYZE took about 3 s, nearly all of it for the payload, `retrieved` most
-- (jsonb values compare slowly). On a database that shares cores with a serving job, that burst
-- every minute or so shows in answer latency. The payload is read, never searched, so its
-- statistics would never be used. SET STATISTICS takes a lock that lets inserts go on.
ALTER TABLE audit_turns
    ALTER COLUMN message SET STATISTICS 0,
    ALTER COLUMN retrieved SET STATISTICS 0,
    ALTER COLUMN answer SET STATISTICS 0,
    ALTER COLUMN citations SET STATISTICS 0,
    ALTER COLUMN model_call SET STATISTICS 0,
    ALTER COLUMN content SET STATISTICS 0,
    ALTER COLUMN context_hash SET STATISTICS 0,
    ALTER COLUMN prev_hash SET STATISTICS 0,
    ALTER COLUMN row_hash SET STATISTICS 0;
