package io.sluice.cli;

import io.sluice.model.chat.OpenAiStandInServer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's first command, non-interactively: {@code sluice demo --ask ...} starts Kafka,
 * PostgreSQL and a MiniCluster, backfills Sluice's own docs, answers, and shuts everything down.
 */
class DemoCommandITCase {

    @TempDir
    Path work;

    @Test
    void answersAQuestionAboutSluiceFromItsOwnDocs() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = SluiceCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err));

        int code = cli.execute("demo", "--work-dir", work.toString(),
                "--ask", "Which state backend keeps the conversation history?");

        assertThat(code).as("exit code; stderr:%n%s", err).isZero();
        String answer = out.toString();
        // Which source ranks first depends on the docs of the day; some source must be cited.
        assertThat(answer).containsPattern("\\[\\d+\\] .+ \\((README|ARCHITECTURE)\\.md#\\d+\\)");
        assertThat(answer).containsIgnoringCase("RocksDB");
        assertThat(answer).contains("retrieve ").contains("end-to-end ").contains("snapshot ");
        assertThat(err.toString()).contains("backfill: wrote snapshot");
    }

    @Test
    void streamsTheAnswerOfARemoteModel() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = SluiceCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        try (OpenAiStandInServer remote = new OpenAiStandInServer()) {
            String question = "How are rejected requests reported?";
            int code = cli.execute("demo", "--work-dir", work.toString(), "--remote-base-url", remote.baseUrl(),
                    "--remote-model", "echo", "--ask", question);

            assertThat(code).as("exit code; stderr:%n%s", err).isZero();
            String printed = out.toString();
            // Printed once, as it streamed, then the citations and the model line.
            assertThat(printed).containsOnlyOnce("You said: " + question + " [1]");
            assertThat(printed).contains("model openai-compatible:echo (echo; prompt v2)").contains("finish stop");
            assertThat(remote.requests).singleElement()
                    .satisfies(r -> assertThat(r.path("messages").get(1).path("content").asText()).contains(question));
        }
    }

    @Test
    void savepointReplayAndVerifyFromThePrompt() throws Exception {
        // The repository's config.yaml, as the demo reads it from the root, on a port of its own: the
        // replay's MiniCluster must not try to bind the serving MiniCluster's fixed REST port.
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path conf = java.nio.file.Files.createDirectories(work.resolve("flink-conf"));
        String yaml = java.nio.file.Files.readString(Path.of("..", "flink-conf", "config.yaml"));
        assertThat(yaml).contains("port: 8081");
        java.nio.file.Files.writeString(conf.resolve("config.yaml"), yaml.replace("port: 8081", "port: " + port));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = SluiceCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        DemoCommand demo = cli.getSubcommands().get("demo").getCommand();
        demo.input = new java.io.ByteArrayInputStream(String.join("\n", "How are audit rows written?", "/savepoint",
                "How does replay compare turns?", "/replay", "/verify", "/nonsense", "/quit", "").getBytes(
                java.nio.charset.StandardCharsets.UTF_8));

        int code = cli.execute("demo", "--work-dir", work.toString(), "--flink-conf", conf.toString(),
                "--gateway-port", "0");

        assertThat(code).as("exit code; stderr:%n%s", err).isZero();
        assertThat(out.toString())
                .contains("savepoint ").contains("(/replay re-derives the turns after it)")
                .contains("1 turns replayed: 1 identical, 0 diverged, 0 missing")
                .contains("2 rows in 1 conversations: every chain intact")
                .contains("/verify     check the audit trail's hash chains");
        assertThat(err.toString()).containsPattern("OpenAI-compatible gateway on http://127\\.0\\.0\\.1:\\d+/v1, demo "
                + "API key sk-sluice-[0-9a-f]{12}-[0-9a-f]{40}")
                .containsPattern("Chat page: http://127\\.0\\.0\\.1:\\d+/chat/");
        // The changelog is part of the checkpoints, so it is beside them in the demo's directory. It has
        // files: the second turn's audit row, which the replay found, commits only with a checkpoint
        // after that turn changed the conversation's state.
        assertThat(work.resolve("changelog")).isDirectoryRecursivelyContaining(java.nio.file.Files::isRegularFile);
    }
}
