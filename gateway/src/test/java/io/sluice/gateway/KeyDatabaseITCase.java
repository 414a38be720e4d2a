package io.sluice.gateway;

import io.sluice.jobs.testing.Await;
import io.sluice.local.EmbeddedPostgres;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The gateway's keys connection on a real PostgreSQL: checked at start, replaced when it breaks. */
class KeyDatabaseITCase {

    private static final String APPLICATION = "key-database-test";

    @TempDir
    static Path work;

    private static EmbeddedPostgres postgres;

    @BeforeAll
    static void start() throws Exception {
        postgres = EmbeddedPostgres.start(work.resolve("pg"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (postgres != null) {
            postgres.close();
        }
    }

    /** A lookup connection, named so that the test can end it (the owner's are not). */
    private static Connection connect(String database) throws SQLException {
        return connect(database, APPLICATION);
    }

    private static Connection connect(String database, String application) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", postgres.user());
        props.setProperty("ApplicationName", application);
        return DriverManager.getConnection(postgres.jdbcUrl().replaceAll("/postgres$", "/" + database), props);
    }

    @Test
    void aDroppedConnectionIsReplacedOnTheNextLookup() throws Exception {
        String first;
        String second;
        try (Connection owner = connect("postgres", "owner")) {
            ApiKeys.SCHEMA.migrate(owner);
            first = ApiKeys.create(owner, "acme", "").key();
            second = ApiKeys.create(owner, "acme", "").key();
        }
        AtomicInteger opened = new AtomicInteger();
        AtomicBoolean refuse = new AtomicBoolean();
        try (KeyDatabase keys = new KeyDatabase(() -> {
            if (refuse.get()) {
                throw new SQLException("connection refused (test)");
            }
            opened.incrementAndGet();
            return connect("postgres");
        })) {
            assertThat(keys.tenantOf(first)).contains("acme");
            assertThat(terminateLookupConnections()).isEqualTo(1);

            assertThat(keys.tenantOf(second)).contains("acme");
            assertThat(opened).hasValue(2);

            // While the database cannot be reached, lookups fail (the gateway answers 503), and
            // the first lookup after it is back connects again.
            assertThat(terminateLookupConnections()).isEqualTo(1);
            refuse.set(true);
            assertThatThrownBy(() -> keys.tenantOf(first)).hasMessageContaining("connection refused (test)");
            assertThatThrownBy(() -> keys.tenantOf(first)).hasMessageContaining("connection refused (test)");
            refuse.set(false);
            assertThat(keys.tenantOf(first)).contains("acme");
            assertThat(keys.tenantOf("sk-sluice-000000000000-" + "0".repeat(40))).isEmpty();
            assertThat(opened).hasValue(3);
        }
    }

    @Test
    void aDatabaseWithoutTheSchemaIsRefusedAtStart() throws Exception {
        try (Connection owner = connect("postgres", "owner"); Statement st = owner.createStatement()) {
            st.execute("CREATE DATABASE no_keys");
        }
        assertThatThrownBy(() -> new KeyDatabase(() -> connect("no_keys")))
                .hasMessageContaining("no schema yet").hasMessageContaining("sluice keys migrate");
        // A closed connection's server process may take a moment to leave pg_stat_activity.
        Await.until("the refused connection closed", Duration.ofSeconds(10), () -> lookupConnections() == 0);
    }

    private static int lookupConnections() throws SQLException {
        return count("SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + APPLICATION + "'");
    }

    /** Ends the server processes of the lookup connections, as a PostgreSQL restart would; returns how many. */
    private static int terminateLookupConnections() throws SQLException {
        return count("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                + "WHERE application_name = '" + APPLICATION + "'");
    }

    private static int count(String query) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", postgres.user());
        try (Connection admin = DriverManager.getConnection(postgres.jdbcUrl(), props);
                Statement st = admin.createStatement();
                ResultSet rs = st.executeQuery(query)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
