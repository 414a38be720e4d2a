package io.sluice.schemas.sql;

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
 * One schema as numbered migrations ({@code V<n>__<name>.sql} resources), applied in order, each
 * once, under a PostgreSQL advisory lock, and recorded with a checksum in a history table of its
 * own. A migration that was changed after it ran, or a database newer than this build, is an error,
 * not something to paper over.
 */
public final class SchemaMigrations {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaMigrations.class);

    /** One migration: its version, name and SQL. */
    public record Migration(int version, String name, String sql) {
        public String checksum() {
            return Hashing.sha256Hex(sql);
        }
    }

    private final String what;
    private final String historyTable;
    private final long lock;
    private final List<Migration> migrations;
    private final String migrateCommand;

    /**
     * @param what the schema's name in messages ("audit", "API key")
     * @param owner the class whose package holds {@code migrations/<file>}
     * @param files every migration, in order; new ones are added at the end, old ones never edited
     * @param migrateCommand the command that applies them, for messages
     */
    public SchemaMigrations(String what, String historyTable, long lock, Class<?> owner, List<String> files,
            String migrateCommand) {
        this.what = what;
        this.historyTable = historyTable;
        this.lock = lock;
        this.migrations = files.stream().map(f -> load(owner, f)).toList();
        this.migrateCommand = migrateCommand;
    }

    public List<Migration> all() {
        return migrations;
    }

    /** The schema version this build writes. */
    public int latest() {
        return migrations.get(migrations.size() - 1).version();
    }

    public String historyTable() {
        return historyTable;
    }

    private static Migration load(Class<?> owner, String file) {
        try (InputStream in = owner.getResourceAsStream("migrations/" + file)) {
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

    /** Applies the migrations the database lacks, in one transaction; returns how many. */
    public int migrate(Connection connection) throws SQLException {
        return Connections.inTransaction(connection, () -> {
            try (Statement st = connection.createStatement()) {
                st.execute("SELECT pg_advisory_xact_lock(" + lock + ")");
                st.execute("CREATE TABLE IF NOT EXISTS " + historyTable + " (version INTEGER PRIMARY KEY, "
                        + "name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
                Map<Integer, String> applied = applied(connection);
                check(applied);
                int count = 0;
                for (Migration m : migrations) {
                    if (!applied.containsKey(m.version())) {
                        apply(connection, st, m);
                        count++;
                    }
                }
                return count;
            }
        });
    }

    private void apply(Connection connection, Statement st, Migration m) throws SQLException {
        st.execute(m.sql());
        try (PreparedStatement ps = connection.prepareStatement(
                "INSERT INTO " + historyTable + " (version, name, checksum) VALUES (?, ?, ?)")) {
            ps.setInt(1, m.version());
            ps.setString(2, m.name());
            ps.setString(3, m.checksum());
            ps.executeUpdate();
        }
        LOG.info("{} schema migrated to V{} ({})", what, m.version(), m.name());
    }

    /** Fails unless the database has exactly this build's migrations, unchanged. */
    public void validate(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT to_regclass('" + historyTable + "') IS NOT NULL")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                throw new SQLException("The " + what + " database has no schema yet; run `" + migrateCommand + "`");
            }
        }
        Map<Integer, String> applied = applied(connection);
        check(applied);
        if (applied.size() < migrations.size()) {
            throw new SQLException("The " + what + " schema is at V" + applied.keySet().stream().max(Integer::compare)
                    .orElse(0) + ", this build needs V" + latest() + "; run `" + migrateCommand + "`");
        }
    }

    private Map<Integer, String> applied(Connection connection) throws SQLException {
        Map<Integer, String> applied = new TreeMap<>();
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT version, checksum FROM " + historyTable)) {
            while (rs.next()) {
                applied.put(rs.getInt(1), rs.getString(2));
            }
        }
        return applied;
    }

    private void check(Map<Integer, String> applied) throws SQLException {
        Map<Integer, Migration> known = new TreeMap<>();
        migrations.forEach(m -> known.put(m.version(), m));
        for (Map.Entry<Integer, String> e : applied.entrySet()) {
            Migration m = known.get(e.getKey());
            if (m == null) {
                throw new SQLException("The " + what + " database has migration V" + e.getKey()
                        + ", which this build does not know: it was migrated by a newer Sluice");
            }
            if (!m.checksum().equals(e.getValue())) {
                throw new SQLException(capitalized(what) + " migration V" + m.version() + " (" + m.name()
                        + ") was changed after it was applied; restore its original text");
            }
        }
    }

    private static String capitalized(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
