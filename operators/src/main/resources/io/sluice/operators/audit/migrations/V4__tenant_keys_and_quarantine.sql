-- Tenancy in every key. Conversation and request ids are the clients' own and unique at most within
-- a tenant, and a request id may come back after the duplicate window; so a row is identified by
-- its tenant, its conversation and its content hash. Re-inserting a row (after a recovery) is a
-- no-op on that key; a second chain in a conversation (a job started without its state, or restored
-- from an older savepoint) is kept beside the first and reported as a fork by `sluice audit verify`,
-- never dropped.
ALTER TABLE audit_turns DROP CONSTRAINT audit_turns_pkey;
DROP INDEX audit_turns_chain;
DROP INDEX audit_turns_conversation;
CREATE UNIQUE INDEX audit_turns_row ON audit_turns (tenant_id, conversation_id, row_hash);
CREATE INDEX audit_turns_chain ON audit_turns (tenant_id, conversation_id, chain_seq);
CREATE INDEX audit_turns_request ON audit_turns (tenant_id, request_id);

-- Rows PostgreSQL refused for their data (SQLSTATE classes 22, 23, 54): kept here with the reason,
-- their chain link and their canonical content as bytes (which a text column may be what refused),
-- so that the rest of the trail is written and `sluice audit verify` can follow a chain through them.
CREATE TABLE audit_quarantine (
    tenant_id       TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    chain_seq       BIGINT NOT NULL,
    request_id      TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    row_hash        TEXT NOT NULL,
    sqlstate        TEXT NOT NULL,
    reason          TEXT NOT NULL,
    content         BYTEA NOT NULL,
    quarantined_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, conversation_id, row_hash)
);
CREATE TRIGGER audit_quarantine_append_only BEFORE UPDATE OR DELETE ON audit_quarantine
    FOR EACH ROW EXECUTE FUNCTION sluice_audit_append_only();
CREATE TRIGGER audit_quarantine_no_truncate BEFORE TRUNCATE ON audit_quarantine
    FOR EACH STATEMENT EXECUTE FUNCTION sluice_audit_append_only();
REVOKE ALL ON audit_quarantine FROM sluice_audit_writer;
GRANT SELECT, INSERT ON audit_quarantine TO sluice_audit_writer;
