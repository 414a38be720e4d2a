package io.sluice.bench;

import io.sluice.gateway.ApiKeys;
import io.sluice.gateway.Gateway;
import io.sluice.gateway.GatewayLatency;
import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.serving.ServingJob;
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
 * and reply polled → HTTP response written.
 */
@Command(name = "gateway", mixinStandardHelpOptions = true,
        description = "Latency the HTTP gateway adds, against the same requests sent straight to Kafka.")
public final class GatewayLatencyBenchmark implements java.util.concurrent.Callable<Integer> {

    private static final String TENANT = "default";

    @Option(names = "--rates", split = ",", description = "Requests per second (default: ${DEFAULT-VALUE}).")
    List<Integer> rates = List.of(10, 25, 50);

    @Option(names = "--seconds", description = "Seconds of load per rate (default: ${DEFAULT-VALUE}).")
    int seconds = 60;

    @Option(names = "--threads", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();

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
            Configuration conf = BenchServing.configuration(stack, workDir, threads, log);
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
            try (ChatClient chat = stack.client(false, false);
                    Gateway gateway = Gateway.start(Gateway.Config.builder(stack.bootstrapServers(), stack.jdbcUrl())
                            .listen("127.0.0.1", 0).topics(LocalStack.REQUESTS_TOPIC, LocalStack.REPLIES_TOPIC)
                            .database(stack.auditConnection().user(), stack.auditConnection().passwordFile())
                            .signingKeyFile(signingKey.toString()).build())) {
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                Http client = new Http(http, URI.create("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions"),
                        key);
                List<String> questions = EmbeddingBenchmark.sentences(64);
                // Warm-up of both paths: models loaded, JIT warm, connections open, first checkpoints done.
                load(chat, client, questions, "warmup", 20, 10);
                for (int rate : rates) {
                    GatewayLatency latency = gateway.latency();
                    latency.inbound().clear();
                    latency.outbound().clear();
                    GcPauses pauses = GcPauses.start();
                    Run[] runs = load(chat, client, questions, "r" + rate, rate, seconds);
                    pauses.close();
                    Run kafka = runs[0];
                    Run viaGateway = runs[1];
                    Run httpAlone = runs[2];
                    String row = String.format(Locale.ROOT,
                            "| %d | %d / %d | %.1f / %.1f | %d / %d | %.1f / %.1f | %.1f / %.1f | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f | %d / %.0f |%n",
                            rate, kafka.endToEnd().size(), kafka.sent(), percentile(kafka.endToEnd(), 50),
                            percentile(kafka.endToEnd(), 99), viaGateway.endToEnd().size(), viaGateway.sent(),
                            percentile(viaGateway.endToEnd(), 50), percentile(viaGateway.endToEnd(), 99),
                            percentile(viaGateway.endToEnd(), 50) - percentile(kafka.endToEnd(), 50),
                            percentile(viaGateway.endToEnd(), 99) - percentile(kafka.endToEnd(), 99),
                            latency.inbound().percentileMillis(50), latency.inbound().percentileMillis(99),
                            latency.outbound().percentileMillis(50), latency.outbound().percentileMillis(99),
                            percentile(httpAlone.endToEnd(), 50), percentile(httpAlone.endToEnd(), 99),
                            pauses.count(), pauses.longestMillis());
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
                        + "extractive answers), embedded Kafka and PostgreSQL, one gateway instance and the load "
                        + "generator on the same machine and in one JVM; %d s of open-loop load per rate, the "
                        + "requests alternating between the two paths (so both see the same job, machine and "
                        + "moment). Times in ms, p50 / p99; GC pauses are the whole JVM's (job, broker and gateway "
                        + "share it), count / longest.%n%n",
                LocalDate.now(ZoneOffset.UTC), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), seconds));
        table.append("| requests/s (both paths) | answered direct | end to end, direct to Kafka | answered via HTTP | "
                + "end to end, via the gateway | added by the gateway (difference) | inside the gateway: HTTP in → "
                + "Kafka | inside the gateway: Kafka → HTTP out | HTTP round trip alone (`GET /v1/sluice/me`) | "
                + "GC pauses during the run |\n");
        table.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
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
        pace(rate, total, i -> {
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
            double value = f.get(150, TimeUnit.SECONDS);
            if (!Double.isNaN(value)) {
                ms.add(value);
            }
        }
        return ms;
    }

    /** The gateway's path: OpenAI chat completions over HTTP/1.1, whole answers. */
    private record Http(HttpClient http, URI uri, String key) {

        private static final ObjectMapper MAPPER = new ObjectMapper();

        /** Sends one question; completes with the ms until the whole answer arrived, NaN for an error. */
        CompletableFuture<Double> send(String conversation, String question) {
            String body = MAPPER.createObjectNode().put("model", "extractive").set("messages", MAPPER.createArrayNode()
                    .add(MAPPER.createObjectNode().put("role", "user").put("content", question))).toString();
            return timed(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + key)
                    .header(Gateway.CONVERSATION_HEADER, conversation).header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.ofString(body)).build());
        }

        /** {@code GET /v1/sluice/me}: authentication and an HTTP round trip, nothing else. */
        CompletableFuture<Double> me() {
            return timed(HttpRequest.newBuilder(uri.resolve("/v1/sluice/me")).header("Authorization", "Bearer " + key)
                    .timeout(Duration.ofSeconds(120)).build());
        }

        private CompletableFuture<Double> timed(HttpRequest request) {
            long sent = System.nanoTime();
            return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                    .thenApply(r -> r.statusCode() == 200 ? (System.nanoTime() - sent) / 1e6 : Double.NaN)
                    .exceptionally(e -> Double.NaN);
        }
    }

    /**
     * The stop-the-world collections of this JVM while it is open, from the collectors' notifications:
     * a pause anywhere in the JVM stops the gateway's threads too, so it shows in their percentiles.
     */
    private static final class GcPauses implements AutoCloseable {
        private final List<Long> millis = java.util.Collections.synchronizedList(new ArrayList<>());
        private final javax.management.NotificationListener listener = (notification, handback) -> {
            if (com.sun.management.GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION
                    .equals(notification.getType())) {
                var info = com.sun.management.GarbageCollectionNotificationInfo.from(
                        (javax.management.openmbean.CompositeData) notification.getUserData());
                millis.add(info.getGcInfo().getDuration());
            }
        };

        static GcPauses start() {
            GcPauses pauses = new GcPauses();
            for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
                ((javax.management.NotificationEmitter) gc).addNotificationListener(pauses.listener, null, null);
            }
            return pauses;
        }

        int count() {
            return millis.size();
        }

        double longestMillis() {
            synchronized (millis) {
                return millis.stream().mapToLong(Long::longValue).max().orElse(0);
            }
        }

        @Override
        public void close() throws javax.management.ListenerNotFoundException {
            for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
                ((javax.management.NotificationEmitter) gc).removeNotificationListener(listener);
            }
        }
    }

    private interface Send {
        void send(int i) throws Exception;
    }

    /** Calls {@code send} {@code total} times at {@code rate} per second, on schedule (open loop). */
    private static void pace(int rate, int total, Send send) throws InterruptedException {
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            long wait = start + i * interval - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait); // pacing an open-loop generator, not synchronisation
            }
            try {
                send.send(i);
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("request " + i + " could not be sent: " + e.getMessage(), e);
            }
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
