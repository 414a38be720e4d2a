package io.sluice.jobs.audit;

import io.sluice.cli.SluiceCli;
import io.sluice.local.EmbeddedPostgres;
import io.sluice.operators.audit.AuditConnection;
import io.sluice.operators.audit.AuditMigrations;
import io.sluice.operators.audit.AuditRecord;
import io.sluice.operators.audit.AuditStore;
import io.sluice.operators.audit.AuditVerifier;
import io.sluice.operators.audit.AuditWriter;
import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.AuditLink;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.Citation;
import io.sluice.schemas.ModelCall;
import io.sluice.schemas.RetrievedChunk;
import io.sluice.schemas.StageTimings;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
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
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // one database: verify's totals see the tests before
class AuditTrailITCase {

    @TempDir
    static Path work;

    private static EmbeddedPostgres postgres;
    private static Path writerPassword;

    @BeforeAll
    static void start() throws Exception {
        postgres = EmbeddedPostgres.start(work.resolve("pg"));
        writerPassword = java.nio.file.Files.writeString(work.resolve("writer-password"), "w\n");
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
        return new AuditConnection(postgres.jdbcUrl(), postgres.user()).open();
    }

    private static Connection writer() throws SQLException {
        return new AuditConnection(postgres.jdbcUrl(), "audit_writer", writerPassword.toString(),
                java.time.Duration.ofSeconds(30)).open();
    }

    /** A conversation of {@code turns} answered turns, linked as the conversation stage links them. */
    static List<AnsweredTurn> conversation(String id, int turns) {
        return conversation("acme", id, id + "-r", turns);
    }

    /** The same, for {@code tenant}, with request ids {@code requestPrefix + i}. */
    static List<AnsweredTurn> conversation(String tenant, String id, String requestPrefix, int turns) {
        List<AnsweredTurn> out = new ArrayList<>();
        AuditLink previous = null;
        for (int i = 0; i < turns; i++) {
            ChatRequest request = new ChatRequest(requestPrefix + i, tenant, id, "question " + i, 3, 512,
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

    private static List<String> noticesOf(String conversation) throws SQLException {
        try (Connection c = owner()) {
            return AuditVerifier.verify(c, rows -> {}).notices().stream()
                    .filter(n -> n.conversationId().equals(conversation)).map(AuditVerifier.Notice::what).toList();
        }
    }

    private static String verifyCli(int expectedCode) {
        StringWriter out = new StringWriter();
        CommandLine cli = SluiceCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(new StringWriter()));
        int code = cli.execute("audit", "verify", "--jdbc-url", postgres.jdbcUrl(), "--jdbc-user", "audit_writer",
                "--jdbc-password-file", writerPassword.toString());
        assertThat(code).as(out.toString()).isEqualTo(expectedCode);
        return out.toString();
    }

    @Test
    @Order(1)
    void migrationsAreRecordedAndGuarded() throws Exception {
        try (Connection c = owner(); Statement st = c.createStatement()) {
            AuditMigrations.validate(c);
            st.execute("UPDATE sluice_audit_migrations SET checksum = 'edited' WHERE version = 2");
            assertThatThrownBy(() -> AuditMigrations.migrate(c)).hasMessageContaining("V2 (hash chain) was changed");
            st.execute("UPDATE sluice_audit_migrations SET checksum = '"
                    + io.sluice.schemas.Hashing.sha256Hex(AuditMigrations.all().get(1).sql()) + "' WHERE version = 2");
            st.execute("INSERT INTO sluice_audit_migrations (version, name, checksum) VALUES (99, 'future', 'x')");
            assertThatThrownBy(() -> AuditMigrations.validate(c)).hasMessageContaining("newer Sluice");
            st.execute("DELETE FROM sluice_audit_migrations WHERE version = 99");
            AuditMigrations.validate(c);
        }
    }

    @Test
    @Order(2)
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
    @Order(6)
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

        // Every column the content covers is checked, JSON columns by value.
        try (Connection w = writer()) {
            AuditStore.insert(w, conversation("c-retrieved", 2));
        }
        tamper("UPDATE audit_turns SET retrieved = '[{\"chunkId\":\"other#0\",\"score\":0.03,\"bm25Rank\":1,"
                + "\"vectorRank\":2}]' WHERE request_id = 'c-retrieved-r1'");
        assertThat(breakOf("c-retrieved")).satisfies(b -> assertThat(b.reason())
                .isEqualTo("column retrieved differs from the hashed content"));
        tamper("UPDATE audit_turns SET source_offset = 99 WHERE request_id = 'c-intact-r3'");
        assertThat(breakOf("c-intact")).satisfies(b -> assertThat(b.reason())
                .isEqualTo("column source_offset differs from the hashed content"));

        assertThat(verifyCli(1))
                .contains("BROKEN tenant acme conversation c-edited at row 3 (request c-edited-r2): column answer differs")
                .contains("BROKEN tenant acme conversation c-deleted at row 3")
                .containsPattern("\\d+ rows in \\d+ conversations \\(and 1 quarantined\\): 5 broken chains");
    }

    @Test
    @Order(3)
    void tenantsWithTheSameIdsHaveTheirOwnRowsAndChains() throws Exception {
        try (Connection w = writer()) {
            assertThat(AuditStore.insert(w, conversation("acme", "c-shared", "shared-", 2))).isEqualTo(2);
            assertThat(AuditStore.insert(w, conversation("globex", "c-shared", "shared-", 3))).isEqualTo(3);
            try (Statement st = w.createStatement();
                    var rs = st.executeQuery("SELECT tenant_id, count(*) FROM audit_turns WHERE conversation_id = "
                            + "'c-shared' GROUP BY tenant_id ORDER BY tenant_id")) {
                List<String> counts = new ArrayList<>();
                while (rs.next()) {
                    counts.add(rs.getString(1) + "=" + rs.getInt(2));
                }
                assertThat(counts).containsExactly("acme=2", "globex=3");
            }
        }
        assertThat(breakOf("c-shared")).isNull();
        assertThat(noticesOf("c-shared")).isEmpty();
    }

    @Test
    @Order(5)
    void aRowPostgresRefusesIsQuarantinedAndTheRestIsWritten() throws Exception {
        List<AnsweredTurn> turns = conversation("c-poison", 4);
        // A NUL byte in the answer: no text column takes it (SQLSTATE 22021 or 22P05).
        AnsweredTurn poisoned = turns.get(1);
        AnsweredTurn relinked = AuditRecord.link(new AnsweredTurn(poisoned.request(), poisoned.snapshotId(),
                poisoned.embeddingModel(), poisoned.retrieved(), poisoned.contextHash(), poisoned.contextTokens(),
                poisoned.historyTurns(), poisoned.modelId(), "user text \u0000 never logged", poisoned.citations(), poisoned.call(),
                AuditLink.UNLINKED, poisoned.timings()), turns.get(0).audit());
        List<AnsweredTurn> chain = new ArrayList<>(List.of(turns.get(0), relinked));
        AuditLink previous = relinked.audit();
        for (AnsweredTurn t : turns.subList(2, 4)) {
            AnsweredTurn next = AuditRecord.link(t.withAudit(AuditLink.UNLINKED), previous);
            previous = next.audit();
            chain.add(next);
        }
        // Every log line while the writer meets the poison row: none may carry the row's text.
        List<String> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        var logs = (org.apache.logging.log4j.core.LoggerContext) org.apache.logging.log4j.LogManager.getContext(false);
        var capture = new org.apache.logging.log4j.core.appender.AbstractAppender("poison-capture", null, null, true,
                org.apache.logging.log4j.core.config.Property.EMPTY_ARRAY) {
            @Override
            public void append(org.apache.logging.log4j.core.LogEvent event) {
                StringWriter text = new StringWriter();
                text.append(event.getMessage().getFormattedMessage());
                if (event.getThrown() != null) {
                    event.getThrown().printStackTrace(new PrintWriter(text));
                }
                logged.add(text.toString());
            }
        };
        capture.start();
        logs.getConfiguration().getRootLogger().addAppender(capture, org.apache.logging.log4j.Level.ALL, null);
        logs.updateLoggers();
        try (AuditWriter writer = new AuditWriter(new AuditConnection(postgres.jdbcUrl(), "audit_writer",
                writerPassword.toString(), java.time.Duration.ofSeconds(30)), AuditWriter.SchemaMode.VALIDATE)) {
            AuditWriter.Outcome outcome = writer.write(chain);
            assertThat(outcome.inserted()).isEqualTo(3);
            assertThat(outcome.quarantined()).singleElement().satisfies(q -> {
                assertThat(q.turn().request().requestId()).isEqualTo("c-poison-r1");
                assertThat(q.sqlState()).startsWith("22");
            });
            // Written again (a retry after a failure): nothing new, nothing lost.
            assertThat(writer.write(chain).inserted()).isZero();
        } finally {
            logs.getConfiguration().getRootLogger().removeAppender(capture.getName());
            logs.updateLoggers();
        }
        assertThat(logged).anySatisfy(line -> assertThat(line).contains("quarantined").contains("c-poison-r1"));
        assertThat(logged).noneMatch(line -> line.contains("never logged"));
        assertThat(breakOf("c-poison")).isNull();
        assertThat(noticesOf("c-poison")).singleElement().satisfies(n -> assertThat(n)
                .startsWith("quarantined at seq 2 (request c-poison-r1, SQLSTATE 22"));
        String out = verifyCli(2);
        assertThat(out).contains("NOTICE tenant acme conversation c-poison: quarantined at seq 2")
                .contains("quarantined or forked");
    }

    @Test
    @Order(4)
    void aSecondChainInAConversationIsAForkNotALoss() throws Exception {
        try (Connection w = writer()) {
            AuditStore.insert(w, conversation("acme", "c-fork", "first-", 3));
            // A job started without its state answers the conversation's next requests from seq 1 again.
            assertThat(AuditStore.insert(w, conversation("acme", "c-fork", "second-", 2))).isEqualTo(2);
        }
        assertThat(breakOf("c-fork")).isNull();
        assertThat(noticesOf("c-fork")).singleElement().satisfies(n -> assertThat(n).startsWith("forked at seq 1: 2 rows"));
    }

    @Test
    @Order(8)
    void analyzeGathersStatisticsForTheSearchedColumnsOnly() throws Exception {
        try (Connection w = writer()) {
            AuditStore.insert(w, conversation("acme", "c-stats", "stats-", 20));
        }
        try (Connection o = owner(); Statement st = o.createStatement()) {
            st.execute("ANALYZE audit_turns");
            List<String> columns = new ArrayList<>();
            try (var rs = st.executeQuery("SELECT attname FROM pg_stats WHERE tablename = 'audit_turns'")) {
                while (rs.next()) {
                    columns.add(rs.getString(1));
                }
            }
            // What sluice usage, audit verify and replay filter, group and sort on (V6).
            assertThat(columns).contains("tenant_id", "conversation_id", "event_time", "chain_seq", "request_id",
                    "answer_model");
            assertThat(columns).doesNotContain("message", "retrieved", "answer", "citations", "model_call", "content",
                    "context_hash", "prev_hash", "row_hash");
        }
    }

    @Test
    @Order(7)
    void rowsThatPredateTheChainMakeVerifyFail() throws Exception {
        try (Connection o = owner(); Statement st = o.createStatement()) {
            st.execute("INSERT INTO audit_turns (request_id, conversation_id, tenant_id, event_time, source_partition, "
                    + "source_offset, message, snapshot_id, embedding_model, model_id, context_hash, context_tokens, "
                    + "history_turns, retrieved, answer, citations) VALUES ('old-1', 'c-old', 'acme', now(), 0, 1, 'q', "
                    + "'s', 'm', 'x', 'h', 1, 0, '[]', 'a', '[]')");
        }
        try (Connection c = owner()) {
            AuditVerifier.Report report = AuditVerifier.verify(c, rows -> {});
            assertThat(report.unchained()).isEqualTo(1);
            assertThat(report.intact()).isFalse();
            assertThat(report.exitCode()).isEqualTo(1);
        }
    }
}
