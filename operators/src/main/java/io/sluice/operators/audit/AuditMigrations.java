package io.sluice.operators.audit;

import io.sluice.schemas.sql.LoginRoles;
import io.sluice.schemas.sql.SchemaMigrations;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * The audit schema as numbered migrations ({@code migrations/V<n>__<name>.sql} beside this class),
 * recorded in {@code sluice_audit_migrations} ({@link SchemaMigrations} applies and checks them).
 */
public final class AuditMigrations {

    public static final String HISTORY_TABLE = "sluice_audit_migrations";

    /** The group role of serving jobs' logins, created by V3: INSERT and SELECT on the audit trail. */
    public static final String WRITER_GROUP = "sluice_audit_writer";

    /** Every migration this build knows, in order. Add new ones at the end; never edit old ones. */
    static final List<String> FILES = List.of("V1__audit_turns.sql", "V2__hash_chain.sql", "V3__append_only.sql",
            "V4__tenant_keys_and_quarantine.sql", "V5__tenant_time_index.sql",
            "V6__payload_without_statistics.sql");

    /** Serialises concurrent migrations across subtasks and processes ("sluice" in ASCII). */
    private static final long LOCK = 0x736c75696365L;

    private static final SchemaMigrations SCHEMA = new SchemaMigrations("audit", HISTORY_TABLE, LOCK,
            AuditMigrations.class, FILES, "sluice audit migrate");

    private AuditMigrations() {}

    public static List<SchemaMigrations.Migration> all() {
        return SCHEMA.all();
    }

    /** The schema version this build writes. */
    public static int latest() {
        return SCHEMA.latest();
    }

    /** Applies the migrations the database lacks; returns how many. */
    public static int migrate(Connection connection) throws SQLException {
        return SCHEMA.migrate(connection);
    }

    /**
     * Creates (or updates) the login role {@code role}, a member of {@code sluice_audit_writer}
     * (INSERT and SELECT only), with {@code password}: the role a serving job writes as.
     */
    public static void grantWriter(Connection connection, String role, String password) throws SQLException {
        LoginRoles.grantMembership(connection, role, password, WRITER_GROUP);
    }

    /** Fails unless the database has exactly this build's migrations, unchanged. */
    public static void validate(Connection connection) throws SQLException {
        SCHEMA.validate(connection);
    }
}
