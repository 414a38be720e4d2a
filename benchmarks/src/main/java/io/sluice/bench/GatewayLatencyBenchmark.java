package io.sluice.bench;

import io.sluice.gateway.ApiKeys;
import io.sluice.gateway.Gateway;
import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.serving.ServingJob;
import io.sluice.model.EmbeddingModels;
import io.sluice.local.ChatClient;
import io.sluice.local.LocalStack;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import com.fasterxml.jackson.databind.ObjectMapper;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What the HTTP gateway costs: one serving job and one open-loop stream of questions, every other
 * one sent straight to Kafka (as a Kafka-native producer does) and the rest through the gateway
 * (OpenAI's {@code /v1/chat/completions}, API key, signed requests, the reply partition), so both
 * paths meet the same job at the same moments on the same machine. Per rate it reports end-to-end
 * p50/p99 of both paths and the gateway's own time, measured inside it: HTTP in → handed to Kafka,
 * reply polled → HTTP response written, and the two summed per request. The gateway runs in a JVM of
 * its own by default, as deployed, so that the job's and the broker's collections do not pause it.
 */
@Command(name = "gateway", mixinStandardHelpOptions = true,
        description = "Latency the HTTP gateway adds, against the same requests sent straight to Kafka.")
public final class GatewayLatencyBenchmark implements java.util.concurrent.Callable<Integer> {

    private static final String TENANT = "default";

    @Option(names = "--rates", split = ",", description = "Requests per second (default: ${DEFAULT-VALUE}).")
    List<Integer> rates = List.of(25, 50);

    @Option(names = "--seconds", description = "Seconds of load per rate (default: ${DEFAULT-VALUE}).")
    int seconds = 60;

    @Option(names = "--threads", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}, the job's).")
    int threads = ServingOptions.EMBEDDING_INTRA_OP_THREADS.defaultValue();

    @Option(names = "--embedding-model", description = "The snapshot's (and so the questions') embedding model "
            + "(default: ${DEFAULT-VALUE}).")
    String embeddingModel = EmbeddingModels.DEFAULT;

    @Option(names = "--gateway-jvm", description = "Where the gateway runs: OWN, a JVM of its own as deployed; "
            + "SHARED, the benchmark's JVM, whose collections (job, broker) pause it too (default: ${DEFAULT-VALUE}).")
    GatewayUnderTest.Jvm gatewayJvm = GatewayUnderTest.Jvm.OWN;

    @Option(names = "--gateway-nice", description = "The gateway JVM's niceness (with OWN; Linux nice, below 0 "
            + "needs root): below 0 it gets the CPU before the job, as cores of its own would give it "
            + "(default: ${DEFAULT-VALUE}, as the others).")
    int gatewayNice;

    @Option(names = "--warmup-seconds", description = "Seconds of load at 25 requests/s before the first rate, so "
            + "that the JIT has compiled the hot paths of the job and of the gateway, whose JVM starts cold "
            + "(default: ${DEFAULT-VALUE}).")
    int warmupSeconds = 40;

    @Option(names = "--work-dir", description = "Scratch directory (default: ${DEFAULT-VALUE}).")
    Path workDir = Path.of(".sluice", "bench-gateway");

    @Option(names = "--output", description = "Where the Markdown table goes (default: ${DEFAULT-VALUE}).")
    Path output = Path.of("benchmarks", "target", "gateway-latency.md");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** One path's latencies at one rate, in ms. */
    private record Run(int sent, List<Double> endToEnd) {}

    @Override
    public Integer call() throws Exception {
        PrintWriter log = spec.commandLine().getErr();
        StringBuilder rows = new StringBuilder();
        try (LocalStack stack = LocalStack.start(workDir.resolve("services"), LocalStack.External.NONE, 2)) {
            Configuration conf = BenchServing.configuration(stack, workDir, threads, embeddingModel, log);
            Path signingKey = Files.writeString(workDir.resolve("signing-key"), "bench: gateway and job share this");
            conf.set(ServingOptions.GATEWAY_SIGNING_KEY_FILE, signingKey.toString());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            ServingJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("gateway-latency-benchmark");
            String key;
            try (Connection owner = stack.openAuditConnection()) {
                ApiKeys.SCHEMA.migrate(owner);
                key = ApiKeys.create(owner, TENANT, "bench").key();
            }
            GatewayUnderTest.Settings settings = new GatewayUnderTest.Settings(stack.bootstrapServers(),
                    stack.jdbcUrl(), stack.auditConnection().user(), stack.auditConnection().passwordFile(),
                    signingKey.toString(), LocalStack.REQUESTS_TOPIC, LocalStack.REPLIES_TOPIC);
            try (ChatClient chat = stack.client(false, false);
                    GatewayUnderTest gateway = GatewayUnderTest.start(gatewayJvm, settings,
                            workDir.resolve("gateway.log"), gatewayNice)) {
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                Http client = new Http(http, URI.create("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions"),
                        key);
                List<String> questions = EmbeddingBenchmark.sentences(64);
                // Warm-up of both paths: models loaded, JIT warm, connections open, first checkpoints done.
                load(chat, client, questions, "warmup", 25, warmupSeconds);
                for (int rate : rates) {
                    gateway.clear();
                    GcPauses pauses = GcPauses.start();
                    Run[] runs = load(chat, client, questions, "r" + rate, rate, seconds);
                    pauses.close();
                    GatewayUnderTest.Report inside = gateway.report();
                    Run kafka = runs[0];
                    Run viaGateway = runs[1];
                    Run httpAlone = runs[2];
                    String row = String.format(Locale.ROOT,
                            "| %d | %d / %d | %.1f / %.1f | %d / %d | %.1f / %.1f | %.1f / %.1f | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f | %d / %.0f | %s | %.1f / %.1f |%n",
                            rate, kafka.endToEnd().size(), kafka.sent(), percentile(kafka.endToEnd(), 50),
                            percentile(kafka.endToEnd(), 99), viaGateway.endToEnd().size(), viaGateway.sent(),
                            percentile(viaGateway.endToEnd(), 50), percentile(viaGateway.endToEnd(), 99),
                            percentile(viaGateway.endToEnd(), 50) - percentile(kafka.endToEnd(), 50),
                            percentile(viaGateway.endToEnd(), 99) - percentile(kafka.endToEnd(), 99),
                            inside.addedP50(), inside.addedP99(), inside.inboundP50(), inside.inboundP99(),
                            inside.outboundP50(), inside.outboundP99(),
                            percentile(httpAlone.endToEnd(), 50), percentile(httpAlone.endToEnd(), 99),
                            pauses.count(), pauses.longestMillis(), gatewayJvm == GatewayUnderTest.Jvm.SHARED
                                    ? "(the same)" : String.format(Locale.ROOT, "%d / %.0f", inside.gcPauses(),
                                            inside.longestGcPause()), inside.hiccupP99(), inside.longestHiccup());
                    log.print(row);
                    log.flush();
                    rows.append(row);
                }
            } finally {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
        }
        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, "Measured %s on %d cores, JDK %s: one serving job (parallelism 1, "
                        + "extractive answers, %s, ONNX Runtime intra-op threads %d), embedded Kafka and PostgreSQL, "
                        + "one gateway instance (%s) and the load generator on the same machine; %d s of open-loop "
                        + "load per rate, the requests alternating between the two paths (so both see the same job, "
                        + "machine and moment). Times in ms, p50 / p99; \"added inside the gateway\" is inbound plus "
                        + "outbound per answered request; GC pauses count / longest, in the benchmark's JVM (job, "
                        + "broker, load generator) and in the gateway's; hiccups p99 / longest: how much later than "
                        + "asked a thread of the gateway's JVM woke from 1 ms sleeps, the floor under its p99.%n%n",
                LocalDate.now(ZoneOffset.UTC), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), embeddingModel, threads,
                gatewayJvm == GatewayUnderTest.Jvm.SHARED ? "in the benchmark's JVM" : gatewayNice == 0
                        ? "in a JVM of its own" : "in a JVM of its own at niceness " + gatewayNice, seconds));
        table.append("| requests/s (both paths) | answered direct | end to end, direct to Kafka | answered via HTTP | "
                + "end to end, via the gateway | difference of the two | added inside the gateway | inbound: HTTP in → "
                + "Kafka | outbound: Kafka → HTTP out | HTTP round trip alone (`GET /v1/sluice/me`) | "
                + "GC pauses, benchmark's JVM | GC pauses, gateway's JVM | hiccups, gateway's JVM |\n");
        table.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        table.append(rows);
        BenchServing.publish(table.toString(), output, spec.commandLine().getOut(), log);
        return 0;
    }

    /**
     * {@code rate} requests per second for {@code seconds}, alternating: even ones produced straight
     * to {@code chat.requests} (the baseline, as a Kafka-native client does), odd ones through the
     * gateway. Returns the direct run, then the gateway's.
     */
    private static Run[] load(ChatClient chat, Http http, List<String> questions, String prefix, int rate,
            int seconds) throws Exception {
        int total = rate * seconds;
        long[] sentAt = new long[total];
        List<CompletableFuture<Double>> viaGateway = new ArrayList<>();
        List<CompletableFuture<Double>> httpAlone = new ArrayList<>();
        OpenLoop.pace(rate, total, i -> {
            String question = questions.get(i % questions.size());
            String conversation = prefix + "-conv-" + (i % 500);
            if (i % 2 == 0) {
                sentAt[i] = System.nanoTime();
                chat.submit(prefix + "-" + i, TENANT, conversation, question);
            } else {
                viaGateway.add(http.send(conversation, question));
                if (i % 4 == 1) {
                    httpAlone.add(http.me()); // what HTTP itself costs here, without Kafka or the job
                }
            }
        });
        List<Double> gateway = completed(viaGateway);
        int direct = (total + 1) / 2;
        int[] answered = {0};
        chat.awaitCondition(() -> {
            while (answered[0] < direct && chat.firstArrivalNanos(prefix + "-" + 2 * answered[0]).isPresent()) {
                answered[0]++;
            }
            return answered[0] == direct;
        }, Duration.ofSeconds(120));
        List<Double> kafka = new ArrayList<>();
        for (int i = 0; i < total; i += 2) {
            int n = i;
            chat.firstArrivalNanos(prefix + "-" + i).ifPresent(t -> kafka.add((t - sentAt[n]) / 1e6));
        }
        return new Run[] {new Run(direct, kafka), new Run(total - direct, gateway),
                new Run(httpAlone.size(), completed(httpAlone))};
    }

    private static List<Double> completed(List<CompletableFuture<Double>> requests) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (CompletableFuture<Double> f : requests) {
            double value = f.get(Http.CLIENT_TIMEOUT.toSeconds() + 30, TimeUnit.SECONDS);
            if (!Double.isNaN(value)) {
                ms.add(value);
            }
        }
        return ms;
    }

    /** The gateway's path: OpenAI chat completions over HTTP/1.1, whole answers. */
    private record Http(HttpClient http, URI uri, String key) {

        private static final ObjectMapper MAPPER = new ObjectMapper();
        /** Longer than the gateway's answer deadline, so that a late answer shows as its 504, not as a client timeout. */
        private static final Duration CLIENT_TIMEOUT = Gateway.Builder.DEFAULT_ANSWER_TIMEOUT.plusSeconds(30);

        /** Sends one question; completes with the ms until the whole answer arrived, NaN for an error. */
        CompletableFuture<Double> send(String conversation, String question) {
            String body = MAPPER.createObjectNode().put("model", "extractive").set("messages", MAPPER.createArrayNode()
                    .add(MAPPER.createObjectNode().put("role", "user").put("content", question))).toString();
            return timed(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + key)
                    .header(Gateway.CONVERSATION_HEADER, conversation).header("Content-Type", "application/json")
                    .timeout(CLIENT_TIMEOUT).POST(HttpRequest.BodyPublishers.ofString(body)).build());
        }

        /** {@code GET /v1/sluice/me}: authentication and an HTTP round trip, nothing else. */
        CompletableFuture<Double> me() {
            return timed(HttpRequest.newBuilder(uri.resolve("/v1/sluice/me")).header("Authorization", "Bearer " + key)
                    .timeout(CLIENT_TIMEOUT).build());
        }

        private CompletableFuture<Double> timed(HttpRequest request) {
            long sent = System.nanoTime();
            // A failure is left out of the percentiles and counts as not answered; say why, once each.
            return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(r -> {
                if (r.statusCode() == 200) {
                    return (System.nanoTime() - sent) / 1e6;
                }
                System.err.println("gateway answered " + r.statusCode() + ": " + r.body());
                return Double.NaN;
            }).exceptionally(e -> {
                System.err.println("request to the gateway failed: " + e);
                return Double.NaN;
            });
        }
    }

    private static double percentile(List<Double> values, double p) {
        return ServingLatencyBenchmark.percentile(values, p);
    }

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        System.exit(new CommandLine(new GatewayLatencyBenchmark()).execute(args));
    }
}
