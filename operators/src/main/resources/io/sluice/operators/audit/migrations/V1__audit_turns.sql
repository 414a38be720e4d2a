-- One row per answered request. IF NOT EXISTS: databases written before migrations existed
-- already have this table, created by the job itself.
CREATE TABLE IF NOT EXISTS audit_turns (
    request_id       TEXT PRIMARY KEY,
    conversation_id  TEXT NOT NULL,
    tenant_id        TEXT NOT NULL,
    event_time       TIMESTAMPTZ NOT NULL,
    source_partition INTEGER NOT NULL,
    source_offset    BIGINT NOT NULL,
    message          TEXT NOT NULL,
    snapshot_id      TEXT NOT NULL,
    embedding_model  TEXT NOT NULL,
    model_id         TEXT NOT NULL,
    context_hash     TEXT NOT NULL,
    context_tokens   INTEGER NOT NULL,
    history_turns    INTEGER NOT NULL,
    retrieved        JSONB NOT NULL,
    answer           TEXT NOT NULL,
    citations        JSONB NOT NULL,
    recorded_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS audit_turns_conversation ON audit_turns (conversation_id, event_time);
ALTER TABLE audit_turns ADD COLUMN IF NOT EXISTS answer_model TEXT NOT NULL DEFAULT 'extractive';
ALTER TABLE audit_turns ADD COLUMN IF NOT EXISTS model_call JSONB NOT NULL DEFAULT '{}';
