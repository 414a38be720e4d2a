package io.sluice.jobs.audit;

import io.sluice.cli.SluiceCli;
import io.sluice.jobs.local.EmbeddedPostgres;
import io.sluice.operators.audit.AuditConnection;
import io.sluice.operators.audit.AuditMigrations;
import io.sluice.operators.audit.AuditRecord;
import io.sluice.operators.audit.AuditStore;
import io.sluice.operators.audit.AuditVerifier;
import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.AuditLink;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.Citation;
import io.sluice.schemas.ModelCall;
import io.sluice.schemas.RetrievedChunk;
import io.sluice.schemas.StageTimings;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The audit trail on a real PostgreSQL: versioned migrations, append-only for owners and writers
 * alike, INSERT/SELECT-only writer role, and hash chains that {@code sluice audit verify} checks.
 */
class AuditTrailITCase {

    @TempDir
    static Path work;

    private static EmbeddedPostgres postgres;

    @BeforeAll
    static void start() throws Exception {
        postgres = EmbeddedPostgres.start(work.resolve("pg"));
        try (Connection c = owner()) {
            assertThat(AuditMigrations.migrate(c)).isEqualTo(AuditMigrations.latest());
            assertThat(AuditMigrations.migrate(c)).isZero();
            try (Statement st = c.createStatement()) {
                st.execute("CREATE ROLE audit_writer LOGIN PASSWORD 'w' IN ROLE sluice_audit_writer");
            }
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (postgres != null) {
            postgres.close();
        }
    }

    private static Connection owner() throws SQLException {
        return new AuditConnection(postgres.jdbcUrl(), postgres.user(), null).open();
    }

    private static Connection writer() throws SQLException {
        return new AuditConnection(postgres.jdbcUrl(), "audit_writer", "w").open();
    }

    /** A conversation of {@code turns} answered turns, linked as the conversation stage links them. */
    static List<AnsweredTurn> conversation(String id, int turns) {
        List<AnsweredTurn> out = new ArrayList<>();
        AuditLink previous = null;
        for (int i = 0; i < turns; i++) {
            ChatRequest request = new ChatRequest(id + "-r" + i, "acme", id, "question " + i, 3, 512,
                    1_700_000_000_000L + i, 0, 10L + i);
            AnsweredTurn turn = new AnsweredTurn(request, "snap", "minilm@1",
                    List.of(new RetrievedChunk("d#0", "d", "Doc", "text", 0.03, 1, 2, 5)), "ctx" + i, 100, i,
                    "extractive@1", "answer " + i + " [1]", List.of(new Citation(1, "d#0", "d", "Doc")),
                    ModelCall.local("extractive@1"), AuditLink.UNLINKED, new StageTimings(1, 2, 3, 4));
            turn = AuditRecord.link(turn, previous);
            previous = turn.audit();
            out.add(turn);
        }
        return out;
    }

    private static void tamper(String sql) throws SQLException {
        try (Connection c = owner(); Statement st = c.createStatement()) {
            st.execute("ALTER TABLE audit_turns DISABLE TRIGGER audit_turns_append_only");
            st.execute(sql);
            st.execute("ALTER TABLE audit_turns ENABLE TRIGGER audit_turns_append_only");
        }
    }

    private static AuditVerifier.Break breakOf(String conversation) throws SQLException {
        try (Connection c = owner()) {
            return AuditVerifier.verify(c, rows -> {}).breaks().stream()
                    .filter(b -> b.conversationId().equals(conversation)).findFirst().orElse(null);
        }
    }

    @Test
    void migrationsAreRecordedAndGuarded() throws Exception {
        try (Connection c = owner(); Statement st = c.createStatement()) {
            AuditMigrations.validate(c);
            st.execute("UPDATE sluice_audit_migrations SET checksum = 'edited' WHERE version = 2");
            assertThatThrownBy(() -> AuditMigrations.migrate(c)).hasMessageContaining("V2 (hash chain) was changed");
            st.execute("UPDATE sluice_audit_migrations SET checksum = '"
                    + io.sluice.operators.text.Hashing.sha256Hex(AuditMigrations.all().get(1).sql()) + "' WHERE version = 2");
            st.execute("INSERT INTO sluice_audit_migrations (version, name, checksum) VALUES (99, 'future', 'x')");
            assertThatThrownBy(() -> AuditMigrations.validate(c)).hasMessageContaining("newer Sluice");
            st.execute("DELETE FROM sluice_audit_migrations WHERE version = 99");
            AuditMigrations.validate(c);
        }
    }

    @Test
    void theTableIsAppendOnlyForTheWriterAndForTheOwner() throws Exception {
        List<AnsweredTurn> turns = conversation("c-append", 2);
        try (Connection w = writer()) {
            AuditMigrations.validate(w);
            assertThat(AuditStore.insert(w, turns)).isEqualTo(2);
            assertThat(AuditStore.insert(w, turns)).as("idempotent").isZero();
            try (Statement st = w.createStatement()) {
                assertThatThrownBy(() -> st.execute("UPDATE audit_turns SET answer = 'x' WHERE conversation_id = 'c-append'"))
                        .hasMessageContaining("permission denied");
                assertThatThrownBy(() -> st.execute("DELETE FROM audit_turns")).hasMessageContaining("permission denied");
                assertThatThrownBy(() -> st.execute("DROP TABLE audit_turns")).hasMessageContaining("must be owner");
            }
        }
        try (Connection o = owner(); Statement st = o.createStatement()) {
            assertThatThrownBy(() -> st.execute("UPDATE audit_turns SET answer = 'x' WHERE conversation_id = 'c-append'"))
                    .hasMessageContaining("append-only: UPDATE is not allowed");
            assertThatThrownBy(() -> st.execute("DELETE FROM audit_turns WHERE conversation_id = 'c-append'"))
                    .hasMessageContaining("append-only: DELETE is not allowed");
            assertThatThrownBy(() -> st.execute("TRUNCATE audit_turns"))
                    .hasMessageContaining("append-only: TRUNCATE is not allowed");
        }
        assertThat(breakOf("c-append")).isNull();
    }

    @Test
    void verifyFindsTheFirstBrokenLinkOfEachTamperedConversation() throws Exception {
        try (Connection w = writer()) {
            AuditStore.insert(w, conversation("c-intact", 4));
            AuditStore.insert(w, conversation("c-edited", 4));
            AuditStore.insert(w, conversation("c-rehashed", 4));
            AuditStore.insert(w, conversation("c-deleted", 4));
        }
        assertThat(breakOf("c-intact")).isNull();

        // A typed column edited behind the hash.
        tamper("UPDATE audit_turns SET answer = 'forged' WHERE request_id = 'c-edited-r2'");
        assertThat(breakOf("c-edited")).satisfies(b -> {
            assertThat(b.sequence()).isEqualTo(3);
            assertThat(b.reason()).isEqualTo("column answer differs from the hashed content");
        });
        // Content rewritten and its own hash recomputed: the next row no longer links to it.
        tamper("UPDATE audit_turns SET content = replace(content, 'answer 1 [1]', 'forged'), answer = 'forged' "
                + "WHERE request_id = 'c-rehashed-r1'");
        tamper("UPDATE audit_turns SET row_hash = encode(sha256(convert_to(content, 'UTF8')), 'hex') "
                + "WHERE request_id = 'c-rehashed-r1'");
        assertThat(breakOf("c-rehashed")).satisfies(b -> {
            assertThat(b.sequence()).isEqualTo(3);
            assertThat(b.reason()).isEqualTo("previous hash does not match row 2");
        });
        // A row removed from the middle.
        tamper("DELETE FROM audit_turns WHERE request_id = 'c-deleted-r1'");
        assertThat(breakOf("c-deleted")).satisfies(b -> {
            assertThat(b.sequence()).isEqualTo(3);
            assertThat(b.reason()).isEqualTo("row 2 missing");
        });

        StringWriter out = new StringWriter();
        CommandLine cli = SluiceCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(new StringWriter()));
        int code = cli.execute("audit", "verify", "--jdbc-url", postgres.jdbcUrl(), "--jdbc-user", "audit_writer",
                "--jdbc-password", "w");
        assertThat(code).isEqualTo(1);
        assertThat(out.toString())
                .contains("BROKEN conversation c-edited at row 3 (request c-edited-r2): column answer differs")
                .contains("BROKEN conversation c-deleted at row 3")
                .doesNotContain("c-intact")
                .containsPattern("\\d+ rows in \\d+ conversations: 3 broken chains");
    }
}
