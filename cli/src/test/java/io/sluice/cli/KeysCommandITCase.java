package io.sluice.cli;

import io.sluice.gateway.ApiKeys;
import io.sluice.local.EmbeddedPostgres;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code sluice keys}: created keys work, listings show ids and never keys, revocation sticks. */
class KeysCommandITCase {

    @TempDir
    Path work;

    private static String run(EmbeddedPostgres pg, int expectedCode, String... args) {
        StringWriter out = new StringWriter();
        CommandLine cli = SluiceCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(new StringWriter()));
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(new String[] {"--jdbc-url", pg.jdbcUrl(), "--jdbc-user", pg.user()}, 0, all, args.length, 4);
        assertThat(cli.execute(all)).as(out.toString()).isEqualTo(expectedCode);
        return out.toString();
    }

    @Test
    void createListRevoke() throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(work.resolve("pg"))) {
            String key = run(pg, 0, "keys", "create", "--tenant", "acme", "--label", "ci").strip();
            assertThat(key).startsWith("sk-sluice-");
            Properties props = new Properties();
            props.setProperty("user", pg.user());
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), props)) {
                assertThat(ApiKeys.tenantOf(c, key)).contains("acme");
                String keyId = ApiKeys.list(c, "acme").get(0).keyId();
                String listed = run(pg, 0, "keys", "list");
                assertThat(listed).contains(keyId).contains("acme").contains("live").contains("ci")
                        .doesNotContain(key);
                assertThat(run(pg, 0, "keys", "revoke", keyId)).contains("revoked");
                assertThat(run(pg, 1, "keys", "revoke", keyId)).contains("no live key");
                assertThat(ApiKeys.tenantOf(c, key)).isEmpty();
                assertThat(run(pg, 0, "keys", "list", "--tenant", "acme")).contains("revoked");
            }
        }
    }

    /**
     * The logins the migrations create reach only their own tables: a gateway's looks keys up and
     * cannot create, revoke or read the audit trail; a serving job's cannot read keys. (The embedded
     * server trusts local connections, so the passwords are checked as stored, not by logging in.)
     */
    @Test
    void eachLoginReachesOnlyItsOwnTables() throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(work.resolve("pg"))) {
            java.nio.file.Path readerPassword = java.nio.file.Files.writeString(work.resolve("reader"), "r1\n");
            java.nio.file.Path writerPassword = java.nio.file.Files.writeString(work.resolve("writer"), "w1\n");
            assertThat(run(pg, 0, "keys", "migrate", "--reader-login", "sluice_gateway",
                    "--reader-password-file", readerPassword.toString())).contains("role sluice_gateway looks keys up");
            assertThat(run(pg, 0, "audit", "migrate", "--writer-login", "sluice_job",
                    "--writer-password-file", writerPassword.toString())).contains("role sluice_job writes");
            String key = run(pg, 0, "keys", "create", "--tenant", "acme").strip();

            try (Connection gateway = connect(pg, "sluice_gateway"); Statement st = gateway.createStatement()) {
                ApiKeys.SCHEMA.validate(gateway);
                assertThat(ApiKeys.tenantOf(gateway, key)).contains("acme");
                assertThatThrownBy(() -> ApiKeys.create(gateway, "acme", "")).isInstanceOf(SQLException.class)
                        .hasMessageContaining("permission denied");
                assertThatThrownBy(() -> ApiKeys.revoke(gateway, key)).isInstanceOf(SQLException.class)
                        .hasMessageContaining("permission denied");
                assertThatThrownBy(() -> st.executeQuery("SELECT count(*) FROM audit_turns"))
                        .hasMessageContaining("permission denied");
            }
            try (Connection job = connect(pg, "sluice_job"); Statement st = job.createStatement()) {
                assertThatThrownBy(() -> st.executeQuery("SELECT count(*) FROM sluice_api_keys"))
                        .hasMessageContaining("permission denied");
            }

            // Running the migration again with another password changes it and keeps the grants.
            String before = storedPassword(pg, "sluice_gateway");
            java.nio.file.Files.writeString(readerPassword, "r2\n");
            assertThat(run(pg, 0, "keys", "migrate", "--reader-login", "sluice_gateway",
                    "--reader-password-file", readerPassword.toString())).contains("(already)");
            assertThat(storedPassword(pg, "sluice_gateway")).isNotNull().isNotEqualTo(before);
            try (Connection gateway = connect(pg, "sluice_gateway")) {
                assertThat(ApiKeys.tenantOf(gateway, key)).contains("acme");
            }
            run(pg, 2, "keys", "migrate", "--reader-login", "someone"); // no password file: a usage error
            java.nio.file.Path empty = java.nio.file.Files.writeString(work.resolve("empty"), "\n");
            run(pg, 2, "keys", "migrate", "--reader-login", "someone", "--reader-password-file", empty.toString());
            assertThat(storedPassword(pg, "someone")).isNull();
        }
    }

    private static Connection connect(EmbeddedPostgres pg, String user) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        return DriverManager.getConnection(pg.jdbcUrl(), props);
    }

    private static String storedPassword(EmbeddedPostgres pg, String role) throws SQLException {
        try (Connection c = connect(pg, pg.user());
                var ps = c.prepareStatement("SELECT rolpassword FROM pg_authid WHERE rolname = ? AND rolcanlogin")) {
            ps.setString(1, role);
            try (var rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }
}
