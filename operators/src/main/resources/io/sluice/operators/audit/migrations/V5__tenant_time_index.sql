-- sluice usage sums one tenant's turns over a range of event time.
CREATE INDEX IF NOT EXISTS audit_turns_tenant_time ON audit_turns (tenant_id, event_time);
