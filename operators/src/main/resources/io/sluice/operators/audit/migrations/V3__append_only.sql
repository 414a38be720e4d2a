-- Append-only, twice over: the writer role may only INSERT and SELECT, and a trigger rejects
-- UPDATE, DELETE and TRUNCATE for everyone, owners included. Removing the trigger takes a
-- deliberate ALTER TABLE by the owner, which PostgreSQL's own logs record.
CREATE OR REPLACE FUNCTION sluice_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_turns is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_turns_append_only BEFORE UPDATE OR DELETE ON audit_turns
    FOR EACH ROW EXECUTE FUNCTION sluice_audit_append_only();
CREATE TRIGGER audit_turns_no_truncate BEFORE TRUNCATE ON audit_turns
    FOR EACH STATEMENT EXECUTE FUNCTION sluice_audit_append_only();
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sluice_audit_writer') THEN
        CREATE ROLE sluice_audit_writer NOLOGIN;
    END IF;
END
$$;
REVOKE ALL ON audit_turns FROM sluice_audit_writer;
GRANT SELECT, INSERT ON audit_turns TO sluice_audit_writer;
GRANT SELECT ON sluice_audit_migrations TO sluice_audit_writer;
