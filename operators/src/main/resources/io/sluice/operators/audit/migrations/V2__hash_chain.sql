-- Tamper evidence: each row holds its canonical content, its place in its conversation's chain and
-- the SHA-256 of the content, which includes the previous row's hash. Rows written before this
-- migration have none of these and are reported as unchained by `sluice audit verify`.
ALTER TABLE audit_turns ADD COLUMN chain_seq BIGINT;
ALTER TABLE audit_turns ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_turns ADD COLUMN row_hash TEXT;
ALTER TABLE audit_turns ADD COLUMN content TEXT;
CREATE UNIQUE INDEX audit_turns_chain ON audit_turns (conversation_id, chain_seq);
