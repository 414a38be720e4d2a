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
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

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
}
