package io.sluice.operators.audit;

import io.sluice.schemas.Hashing;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The audit schema as numbered migrations ({@code migrations/V<n>__<name>.sql} beside this class),
 * applied in order, each once, and recorded in {@code sluice_audit_migrations} with a checksum. A
 * migration that was changed after it ran, or a database newer than this build, is an error, not
 * something to paper over.
 */
public final class AuditMigrations {

    private static final Logger LOG = LoggerFactory.getLogger(AuditMigrations.class);

    /** Every migration this build knows, in order. Add new ones at the end; never edit old ones. */
    static final List<String> FILES = List.of("V1__audit_turns.sql", "V2__hash_chain.sql", "V3__append_only.sql",
            "V4__tenant_keys_and_quarantine.sql");

    public static final String HISTORY_TABLE = "sluice_audit_migrations";

    /** Serialises concurrent migrations across subtasks and processes ("sluice" in ASCII). */
    private static final long LOCK = 0x736c75696365L;

    /** One migration: its version, name and SQL. */
    public record Migration(int version, String name, String sql) {
        String checksum() {
            return Hashing.sha256Hex(sql);
        }
    }

    private AuditMigrations() {}

    public static List<Migration> all() {
        return FILES.stream().map(AuditMigrations::load).toList();
    }

    /** The schema version this build writes. */
    public static int latest() {
        return all().get(all().size() - 1).version();
    }

    private static Migration load(String file) {
        try (InputStream in = AuditMigrations.class.getResourceAsStream("migrations/" + file)) {
            if (in == null) {
                throw new IllegalStateException("migration " + file + " is missing from the build");
            }
            int version = Integer.parseInt(file.substring(1, file.indexOf("__")));
            String name = file.substring(file.indexOf("__") + 2, file.length() - 4).replace('_', ' ');
            return new Migration(version, name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Applies the migrations the database lacks; returns how many. */
    public static int migrate(Connection connection) throws SQLException {
        return AuditStore.inTransaction(connection, () -> {
            try (Statement st = connection.createStatement()) {
                st.execute("SELECT pg_advisory_xact_lock(" + LOCK + ")");
                st.execute("CREATE TABLE IF NOT EXISTS " + HISTORY_TABLE + " (version INTEGER PRIMARY KEY, "
                        + "name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
                Map<Integer, String> applied = applied(connection);
                check(applied);
                int count = 0;
                for (Migration m : all()) {
                    if (!applied.containsKey(m.version())) {
                        apply(connection, st, m);
                        count++;
                    }
                }
                return count;
            }
        });
    }

    private static void apply(Connection connection, Statement st, Migration m) throws SQLException {
        st.execute(m.sql());
        try (PreparedStatement ps = connection.prepareStatement(
                "INSERT INTO " + HISTORY_TABLE + " (version, name, checksum) VALUES (?, ?, ?)")) {
            ps.setInt(1, m.version());
            ps.setString(2, m.name());
            ps.setString(3, m.checksum());
            ps.executeUpdate();
        }
        LOG.info("Audit schema migrated to V{} ({})", m.version(), m.name());
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
        LOG.info("Audit writer role {} can log in", role);
    }

    /** Fails unless the database has exactly this build's migrations, unchanged. */
    public static void validate(Connection connection) throws SQLException {
        Map<Integer, String> applied;
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT to_regclass('" + HISTORY_TABLE + "') IS NOT NULL")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                throw new SQLException("The audit database has no schema yet; run `sluice audit migrate` "
                        + "(or set sluice.audit.schema: MIGRATE)");
            }
        }
        applied = applied(connection);
        check(applied);
        if (applied.size() < all().size()) {
            throw new SQLException("The audit schema is at V" + applied.keySet().stream().max(Integer::compare).orElse(0)
                    + ", this build needs V" + latest() + "; run `sluice audit migrate`");
        }
    }

    private static Map<Integer, String> applied(Connection connection) throws SQLException {
        Map<Integer, String> applied = new TreeMap<>();
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT version, checksum FROM " + HISTORY_TABLE)) {
            while (rs.next()) {
                applied.put(rs.getInt(1), rs.getString(2));
            }
        }
        return applied;
    }

    private static void check(Map<Integer, String> applied) throws SQLException {
        Map<Integer, Migration> known = new TreeMap<>();
        all().forEach(m -> known.put(m.version(), m));
        for (Map.Entry<Integer, String> e : applied.entrySet()) {
            Migration m = known.get(e.getKey());
            if (m == null) {
                throw new SQLException("The audit database has migration V" + e.getKey()
                        + ", which this build does not know: it was migrated by a newer Sluice");
            }
            if (!m.checksum().equals(e.getValue())) {
                throw new SQLException("Audit migration V" + m.version() + " (" + m.name()
                        + ") was changed after it was applied; restore its original text");
            }
        }
    }
}
