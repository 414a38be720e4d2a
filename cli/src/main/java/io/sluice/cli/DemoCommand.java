package io.sluice.cli;

import io.sluice.gateway.ApiKeys;
import io.sluice.gateway.Gateway;
import io.sluice.jobs.backfill.Backfill;
import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.replay.Replay;
import io.sluice.jobs.serving.ServingJob;
import io.sluice.local.ChatClient;
import io.sluice.local.LocalStack;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.RuntimeOptions;
import io.sluice.operators.audit.AuditConnection;
import io.sluice.operators.audit.AuditStore;
import io.sluice.operators.audit.AuditVerifier;
import io.sluice.operators.chunk.ChunkerSettings;

import com.fasterxml.jackson.databind.JsonNode;

import org.apache.flink.configuration.Configuration;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code sluice demo}: the whole stack on one machine. Starts Kafka and PostgreSQL (embedded unless
 * named), backfills the demo corpus, runs the serving job in a MiniCluster with RocksDB and
 * checkpoints, and chats: each line typed is a request on {@code chat.requests}; the answer from
 * {@code chat.responses} prints with citations and timings.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run Kafka, PostgreSQL and the serving job locally and chat with the RAG assistant.")
final class DemoCommand implements java.util.concurrent.Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--ask", description = "Answer this one question, print the reply, and exit.")
    String ask;

    @Option(names = "--work-dir", description = "Where the demo keeps its data (default: ${DEFAULT-VALUE}).")
    Path workDir = Path.of(".sluice", "demo");

    @Option(names = "--docs", description = "Documents to serve instead of Sluice's own docs.")
    Path docs;

    @Option(names = "--tenant", description = "Tenant of the documents and the chat (default: ${DEFAULT-VALUE}).")
    String tenant = "default";

    @Option(names = "--bootstrap-servers", description = "Use this Kafka instead of an embedded broker.")
    String bootstrapServers;

    @Option(names = "--jdbc-url", description = "Use this PostgreSQL instead of an embedded server.")
    String jdbcUrl;

    @Option(names = "--redis-uri", description = "Use this Redis for the caches (redis://host:port) instead of an "
            + "embedded server.")
    String redisUri;

    @Option(names = "--jdbc-user", description = "User for --jdbc-url (default: ${DEFAULT-VALUE}).")
    String jdbcUser = "postgres";

    @Option(names = "--jdbc-password-file", description = "File holding the password for --jdbc-url (default: the "
            + "environment variable SLUICE_AUDIT_PASSWORD; passwords never go on a command line).")
    String jdbcPasswordFile;

    @Option(names = "--delivery", description = "chat.responses delivery: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    ServingOptions.Delivery delivery = ServingOptions.Delivery.LOW_LATENCY;

    @Option(names = "--flink-conf", description = "Directory with config.yaml (default: ./flink-conf if present).")
    Path flinkConf;

    @Option(names = "--remote-base-url", description = "Answer with this OpenAI-compatible server "
            + "(vLLM, TGI, Ollama, ...), e.g. http://localhost:11434/v1; answers stream as they are generated.")
    String remoteBaseUrl;

    @Option(names = "--remote-model", description = "Model name on --remote-base-url, e.g. qwen2.5:7b-instruct.")
    String remoteModel;

    @Option(names = "--onnx-model", description = "Answer with this decoder-only ONNX model directory, run "
            + "inside the job (model.onnx with KV cache, tokenizer.json, model-card.properties).")
    Path onnxModel;

    @Option(names = "--gateway-port", description = "Port of the OpenAI-compatible gateway the interactive demo "
            + "starts; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int gatewayPort = Gateway.Builder.DEFAULT_PORT;

    @Option(names = "--timeout", description = "How long to wait for an answer (default: ${DEFAULT-VALUE}).")
    Duration timeout = Duration.ofSeconds(120);

    private final AtomicBoolean closed = new AtomicBoolean();

    /** Where the interactive prompt reads from (tests replace it). */
    InputStream input = System.in;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        err.println("Starting " + (bootstrapServers == null ? "embedded Kafka" : "Kafka at " + bootstrapServers)
                + ", " + (jdbcUrl == null ? "embedded PostgreSQL" : "PostgreSQL at " + jdbcUrl)
                + " and " + (redisUri == null ? "embedded Redis" : "Redis at " + redisUri) + " ...");
        err.flush();
        LocalStack stack = LocalStack.start(workDir, new LocalStack.External(bootstrapServers, jdbcUrl,
                jdbcUrl == null ? null : jdbcUser, jdbcPasswordFile, redisUri), 2);
        ServingRun serving = null;
        ChatClient chat = null;
        Thread hook = null;
        try {
            Path corpus = docs != null ? docs : DemoCorpus.extract(workDir.resolve("corpus"));
            Path indexDir = workDir.resolve("index");
            new Backfill(new Backfill.Settings(corpus, indexDir, tenant, ChunkerSettings.DEFAULT,
                    EmbeddingModels.DEFAULT, 32, RuntimeOptions.cpu(2), 1), err).run();

            Configuration conf = FlinkConf.load(flinkConf);
            conf.addAll(stack.servingConfig(indexDir));
            // The gateway signs what it sends; the job checks signatures that are there and still
            // answers the prompt's unsigned requests (it does not require them).
            Path signingKey = workDir.resolve("signing-key");
            if (!java.nio.file.Files.exists(signingKey)) {
                byte[] random = new byte[32];
                new java.security.SecureRandom().nextBytes(random);
                java.nio.file.Files.writeString(signingKey, HexFormat.of().formatHex(random));
            }
            conf.set(ServingOptions.GATEWAY_SIGNING_KEY_FILE, signingKey.toAbsolutePath().toString());
            conf.set(ServingOptions.TENANTS_IDS, List.of(tenant));
            conf.set(ServingOptions.RESPONSES_DELIVERY, delivery);
            conf.setString("parallelism.default", "1");
            if (remoteBaseUrl != null) {
                if (remoteModel == null) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                            "--remote-base-url needs --remote-model");
                }
                conf.set(ServingOptions.ANSWER_REMOTE_BASE_URL, remoteBaseUrl);
                conf.set(ServingOptions.ANSWER_REMOTE_MODEL, remoteModel);
                conf.set(ServingOptions.ANSWER_DEFAULT_MODEL, ServingJob.REMOTE_MODEL);
            }
            if (onnxModel != null) {
                conf.set(ServingOptions.ANSWER_ONNX_MODEL_DIR, onnxModel.toAbsolutePath().toString());
                conf.set(ServingOptions.ANSWER_DEFAULT_MODEL, ServingJob.ONNX_MODEL);
            }
            err.println("Starting the serving job (RocksDB state, checkpoints every "
                    + conf.toMap().getOrDefault("execution.checkpointing.interval", "?") + ") ...");
            err.flush();
            serving = ServingRun.start(conf);
            chat = stack.client(delivery == ServingOptions.Delivery.EXACTLY_ONCE, false);
            chat.onPiece(this::printPiece);

            final ServingRun servingRef = serving;
            final ChatClient chatRef = chat;
            hook = new Thread(() -> shutdown(servingRef, chatRef, stack), "sluice-demo-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);

            String conversation = "demo-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
            if (ask != null) {
                return askOne(chat, conversation, 1, ask, out) ? 0 : 1;
            }
            gateway = startGateway(stack, conf, signingKey, err);
            err.println("Ready: snapshot " + serving.settings().snapshotId() + ", tenant '" + tenant
                    + "', conversation " + conversation + ". Type a question, or /help; /quit or Ctrl-D to exit.");
            err.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8));
            Session session = new Session(stack, serving, conf);
            int turn = 0;
            while (true) {
                out.print("> ");
                out.flush();
                String line = in.readLine();
                if (line == null || line.strip().equals("/quit")) {
                    break;
                }
                String text = line.strip();
                if (text.startsWith("/")) {
                    session.command(text, out);
                } else if (!text.isEmpty()) {
                    turn++;
                    if (askOne(chat, conversation, turn, text, out)) {
                        session.answered.add(conversation + "-" + turn);
                    }
                }
            }
            return 0;
        } finally {
            if (hook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // The hook is running already and does the same.
                }
            }
            shutdown(serving, chat, stack);
        }
    }

    /** The prompt's slash commands: the product's savepoint, replay and audit promises, hands on. */
    private final class Session {
        final LocalStack stack;
        final ServingRun serving;
        final Configuration conf;
        final List<String> answered = new java.util.ArrayList<>();
        Path savepoint;

        Session(LocalStack stack, ServingRun serving, Configuration conf) {
            this.stack = stack;
            this.serving = serving;
            this.conf = conf;
        }

        void command(String command, PrintWriter out) {
            try {
                switch (command) {
                    case "/savepoint" -> {
                        savepoint = Path.of(java.net.URI.create(serving.job().triggerSavepoint(
                                workDir.resolve("savepoints").toAbsolutePath().toUri().toString(),
                                org.apache.flink.core.execution.SavepointFormatType.CANONICAL)
                                .get(2, java.util.concurrent.TimeUnit.MINUTES)));
                        out.println("savepoint " + savepoint + " (/replay re-derives the turns after it)");
                    }
                    case "/replay" -> {
                        if (savepoint == null) {
                            out.println("no savepoint yet: /savepoint first, then ask, then /replay");
                            break;
                        }
                        awaitAudited(out);
                        ReplayCommand.print(Replay.run(conf, Replay.Options.of(savepoint), p -> { }), out);
                    }
                    case "/verify" -> {
                        awaitAudited(out);
                        try (java.sql.Connection c = stack.openAuditConnection()) {
                            AuditCommand.print(AuditVerifier.verify(c, rows -> { }), out);
                        }
                    }
                    default -> {
                        out.println("/savepoint  take a savepoint of the serving job");
                        out.println("/replay     replay the turns after the last savepoint against the audit trail");
                        out.println("/verify     check the audit trail's hash chains");
                        out.println("/quit       stop everything");
                    }
                }
            } catch (Exception e) {
                out.println(command + " failed: " + SluiceCli.describe(e));
            }
            out.flush();
        }

        /**
         * Audit rows are committed with checkpoints: waits until this session's turns are in, and
         * says so when they are not (a stalled trail must never read as a healthy one).
         */
        private void awaitAudited(PrintWriter out) throws Exception {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            int audited;
            try (java.sql.Connection c = stack.openAuditConnection()) {
                while ((audited = AuditStore.count(c, answered)) < answered.size() && System.nanoTime() < deadline) {
                    Thread.sleep(200); // the next checkpoint commits them
                }
            }
            if (audited < answered.size()) {
                out.println("WARNING: " + (answered.size() - audited) + " of the " + answered.size() + " turns answered "
                        + "in this session have no audit row after 30 s: the audit writer is behind (PostgreSQL "
                        + "unreachable?); see .sluice/sluice.log");
            }
        }
    }

    private boolean askOne(ChatClient chat, String conversation, int turn, String question, PrintWriter out)
            throws InterruptedException {
        String requestId = conversation + "-" + turn;
        long start = System.nanoTime();
        synchronized (this) {
            streaming = requestId;
            streamOut = out;
            streamed = -1;
        }
        chat.send(requestId, tenant, conversation, question);
        try {
            ChatClient.Reply reply = chat.await(requestId, timeout);
            boolean wasStreamed;
            synchronized (this) {
                wasStreamed = streamed >= 0;
                streaming = null;
            }
            if (wasStreamed) {
                out.println();
            }
            out.print(ReplyFormat.format(reply, (System.nanoTime() - start) / 1_000_000, wasStreamed));
            out.flush();
            return !reply.rejected();
        } catch (java.util.concurrent.TimeoutException e) {
            out.println("no answer within " + timeout + " (see .sluice logs)");
            out.flush();
            return false;
        }
    }

    /** The request whose pieces are printed as they arrive, and the last piece number printed. */
    private String streaming;
    private PrintWriter streamOut;
    private int streamed;

    private synchronized void printPiece(JsonNode piece) {
        int sequence = piece.path("sequence").asInt();
        // After a recovery pieces can come again: print each number once.
        if (piece.path("requestId").asText().equals(streaming) && sequence > streamed) {
            streamed = sequence;
            streamOut.print(piece.path("text").asText());
            streamOut.flush();
        }
    }

    /** The OpenAI-compatible gateway in front of the demo's job, with a demo API key for its tenant. */
    private Gateway startGateway(LocalStack stack, Configuration conf, Path signingKey,
            PrintWriter err) throws Exception {
        String key;
        try (java.sql.Connection c = stack.openAuditConnection()) {
            ApiKeys.SCHEMA.migrate(c);
            key = ApiKeys.create(c, tenant, "demo").key();
        }
        List<String> models = new java.util.ArrayList<>(List.of("extractive"));
        if (remoteBaseUrl != null) {
            models.add(ServingJob.REMOTE_MODEL);
        }
        if (onnxModel != null) {
            models.add(ServingJob.ONNX_MODEL);
        }
        Gateway g = Gateway.start(Gateway.Config.builder(stack.bootstrapServers(), stack.jdbcUrl())
                .listen("127.0.0.1", gatewayPort)
                .topics(conf.get(ServingOptions.REQUESTS_TOPIC), conf.get(ServingOptions.REPLIES_TOPIC))
                // The demo's gateway logs in as the audit trail's user, so its password is the audit's.
                .database(stack.auditConnection().user(), stack.auditConnection().passwordFile(),
                        AuditConnection.PASSWORD_ENV)
                .signingKeyFile(signingKey.toString()).models(models).answerTimeout(timeout).demoKey(key).build());
        err.println("Chat page: http://127.0.0.1:" + g.port() + "/chat/ (\"Use the demo key\" signs in as tenant "
                + tenant + ")");
        err.println("OpenAI-compatible gateway on http://127.0.0.1:" + g.port() + "/v1, demo API key " + key);
        err.println("  curl -N http://127.0.0.1:" + g.port() + "/v1/chat/completions -H 'Authorization: Bearer " + key
                + "' -H 'X-Sluice-Conversation: c-1' -H 'Content-Type: application/json' -d '{\"model\": \"extractive\", "
                + "\"stream\": true, \"messages\": [{\"role\": \"user\", \"content\": \"What is Sluice?\"}]}'");
        err.flush();
        return g;
    }

    /** The interactive demo's gateway, closed with the rest. */
    private volatile Gateway gateway;

    private void shutdown(ServingRun serving, ChatClient chat, LocalStack stack) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (gateway != null) {
                gateway.close();
            }
            if (chat != null) {
                chat.close();
            }
            if (serving != null) {
                serving.close();
            }
        } catch (Exception e) {
            spec.commandLine().getErr().println("shutdown: " + e);
        } finally {
            stack.close();
        }
    }
}
