-- API keys of the HTTP gateway: a key names one tenant. Only the key's SHA-256 is stored; the key
-- itself is shown once, when it is created. key_id is the key's public prefix, shown to identify it.
CREATE TABLE sluice_api_keys (
    key_id      TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    key_hash    TEXT NOT NULL,
    label       TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX sluice_api_keys_tenant ON sluice_api_keys (tenant_id);
