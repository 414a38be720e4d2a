-- The group role gateways log in through (`sluice keys migrate --reader-login`): a gateway only
-- looks keys up, so its login may read the keys and the migration history it validates at start,
-- and nothing else; creating and revoking keys stays with the owner (`sluice keys create|revoke`).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sluice_key_reader') THEN
        CREATE ROLE sluice_key_reader NOLOGIN;
    END IF;
END
$$;
REVOKE ALL ON sluice_api_keys FROM sluice_key_reader;
GRANT SELECT ON sluice_api_keys TO sluice_key_reader;
GRANT SELECT ON sluice_key_migrations TO sluice_key_reader;
