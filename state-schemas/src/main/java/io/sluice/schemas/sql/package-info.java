/**
 * The SQL schemas of Sluice's tables in PostgreSQL (the audit trail, the gateway's API keys) as
 * numbered migrations with checksums: what the job, the gateway and the CLI share without pulling in
 * each other's dependencies. Plain JDBC.
 */
package io.sluice.schemas.sql;
