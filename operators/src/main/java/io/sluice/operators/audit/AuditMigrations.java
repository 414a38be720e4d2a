package io.sluice.operators.audit;

import io.sluice.schemas.sql.SchemaMigrations;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The audit schema as numbered migrations ({@code migrations/V<n>__<name>.sql} beside this class),
 * recorded in {@code sluice_audit_migrations} ({@link SchemaMigrations} applies and checks them).
 */
public final class AuditMigrations {

    public static final String HISTORY_TABLE = "sluice_audit_migrations";

    /** Every migration this build knows, in order. Add new ones at the end; never edit old ones. */
    static final List<String> FILES = List.of("V1__audit_turns.sql", "V2__hash_chain.sql", "V3__append_only.sql",
            "V4__tenant_keys_and_quarantine.sql", "V5__tenant_time_index.sql");

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
     * (INSERT and SELECT only), with {@code password}: the role a serving job writes as. Names and
     * the password are quoted by PostgreSQL ({@code format} with %I and %L), never spliced.
     */
    public static void grantWriter(Connection connection, String role, String password) throws SQLException {
        AuditStore.inTransaction(connection, () -> {
            boolean exists;
            try (PreparedStatement ps = connection.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
                ps.setString(1, role);
                try (ResultSet rs = ps.executeQuery()) {
                    exists = rs.next();
                }
            }
            String ddl;
            try (PreparedStatement ps = connection.prepareStatement(exists
                    ? "SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', ?::text, ?::text)"
                    : "SELECT format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE sluice_audit_writer', ?::text, ?::text)")) {
                ps.setString(1, role);
                ps.setString(2, password);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    ddl = rs.getString(1);
                }
            }
            try (Statement st = connection.createStatement()) {
                st.execute(ddl);
                if (exists) {
                    try (PreparedStatement ps = connection.prepareStatement(
                            "SELECT format('GRANT sluice_audit_writer TO %I', ?::text)")) {
                        ps.setString(1, role);
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            st.execute(rs.getString(1));
                        }
                    }
                }
            }
            return null;
        });
        org.slf4j.LoggerFactory.getLogger(AuditMigrations.class).info("Audit writer role {} can log in", role);
    }

    /** Fails unless the database has exactly this build's migrations, unchanged. */
    public static void validate(Connection connection) throws SQLException {
        SCHEMA.validate(connection);
    }
}
