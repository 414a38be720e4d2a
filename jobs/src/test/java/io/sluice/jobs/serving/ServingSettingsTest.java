package io.sluice.jobs.serving;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.model.EmbeddingModels;
import io.sluice.operators.retrieve.Fusion;
import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SearchSettings;
import io.sluice.operators.retrieve.SnapshotManifest;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateChangelogOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.RecoveryClaimMode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the serving job checks before it starts. */
class ServingSettingsTest {

    private static Configuration conf(Path index) {
        Configuration conf = new Configuration();
        conf.set(ServingOptions.INDEX_DIR, index.toString());
        return conf;
    }

    private static void snapshot(Path index, String id, String model) throws Exception {
        Path dir = Files.createDirectories(new IndexStore(index).snapshotDir(id));
        new SnapshotManifest(id, "1970-01-01T00:00:00Z", model, 384, "test", 0, 0, 0, 0, List.of()).write(dir);
        new IndexStore(index).promote(id);
    }

    @Test
    void pinsThePromotedSnapshotOrTheNamedOne(@TempDir Path index) throws Exception {
        String minilm = EmbeddingModels.card(EmbeddingModels.BUNDLED_MINILM).qualifiedId();
        snapshot(index, "old", minilm);
        snapshot(index, "new", minilm);
        assertThat(ServingJob.Settings.from(conf(index)).snapshotId()).isEqualTo("new");
        Configuration pinned = conf(index);
        pinned.set(ServingOptions.INDEX_SNAPSHOT, "old");
        assertThat(ServingJob.Settings.from(pinned).snapshotId()).isEqualTo("old");
        pinned.set(ServingOptions.INDEX_SNAPSHOT, "missing");
        assertThatThrownBy(() -> ServingJob.Settings.from(pinned)).hasMessageContaining("missing not found");
    }

    @Test
    void refusesASnapshotEmbeddedWithAnotherModel(@TempDir Path index) throws Exception {
        snapshot(index, "s1", EmbeddingModels.card(EmbeddingModels.BUNDLED_MINILM_QUANTIZED).qualifiedId());
        Configuration fp32 = conf(index);
        fp32.set(ServingOptions.EMBEDDING_MODEL, EmbeddingModels.BUNDLED_MINILM);
        assertThatThrownBy(() -> ServingJob.Settings.from(fp32))
                .hasMessageContaining("was embedded with sentence-transformers/all-MiniLM-L6-v2@onnx-int8-1")
                .hasMessageContaining("backfill again");
        Configuration q = conf(index);
        q.set(ServingOptions.EMBEDDING_MODEL, EmbeddingModels.BUNDLED_MINILM_QUANTIZED);
        assertThat(ServingJob.Settings.from(q).snapshotId()).isEqualTo("s1");
    }

    @Test
    void withoutAConfiguredModelTheQuestionsAreEmbeddedByTheSnapshotsBundledModel(@TempDir Path index)
            throws Exception {
        for (String model : new String[] {EmbeddingModels.BUNDLED_MINILM, EmbeddingModels.BUNDLED_MINILM_QUANTIZED,
            EmbeddingModels.BUNDLED_BGE_SMALL_QUANTIZED}) {
            snapshot(index, model.replace(':', '-'), EmbeddingModels.card(model).qualifiedId());
            Configuration c = conf(index);
            c.set(ServingOptions.INDEX_SNAPSHOT, model.replace(':', '-'));
            assertThat(ServingJob.Settings.from(c).embed().model()).isEqualTo(model);
        }
        snapshot(index, "own", "acme/encoder@7");
        Configuration own = conf(index);
        own.set(ServingOptions.INDEX_SNAPSHOT, "own");
        assertThatThrownBy(() -> ServingJob.Settings.from(own))
                .hasMessageContaining("was embedded with acme/encoder@7, which is not a bundled model")
                .hasMessageContaining("sluice.embedding.model");
    }

    @Test
    void retrievalRanksAsConfigured(@TempDir Path index) throws Exception {
        snapshot(index, "s1", EmbeddingModels.card(EmbeddingModels.DEFAULT).qualifiedId());
        assertThat(ServingJob.Settings.from(conf(index)).search()).isEqualTo(SearchSettings.DEFAULT);
        Configuration c = conf(index);
        c.setString("sluice.retrieval.fusion", "rrf:60");
        c.setString("sluice.retrieval.bm25-k1", "1.2");
        c.setString("sluice.retrieval.bm25-b", "0.5");
        c.setString("sluice.retrieval.max-query-terms", "32");
        c.setString("sluice.retrieval.complete-scores", String.valueOf(!SearchSettings.DEFAULT.completeScores()));
        assertThat(ServingJob.Settings.from(c).search()).isEqualTo(new SearchSettings(new Fusion.Rrf(60), 1.2f, 0.5f, 32,
                !SearchSettings.DEFAULT.completeScores()));
        c.setString("sluice.retrieval.fusion", "convex:2");
        assertThatThrownBy(() -> ServingJob.Settings.from(c)).hasMessageContaining("Invalid fusion 'convex:2'")
                .hasMessageContaining("in [0, 1]");
        c.setString("sluice.retrieval.fusion", "convex:0.5");
        c.setString("sluice.retrieval.bm25-b", "1.5");
        assertThatThrownBy(() -> ServingJob.Settings.from(c)).hasMessageContaining("b in [0, 1]");
    }

    @Test
    void refusesToRestoreWithTheChangelogUnlessItClaimsTheSnapshot() {
        Configuration conf = new Configuration();
        conf.set(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG, true);
        ServingJob.refuseUnclaimedChangelogRestore(conf); // a fresh start restores nothing
        conf.set(StateRecoveryOptions.SAVEPOINT_PATH, "file:///savepoints/savepoint-1");
        assertThatThrownBy(() -> ServingJob.refuseUnclaimedChangelogRestore(conf))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("file:///savepoints/savepoint-1 would be restored in NO_CLAIM mode")
                .hasMessageContaining("--claimMode claim");
        conf.set(StateRecoveryOptions.RESTORE_MODE, RecoveryClaimMode.CLAIM);
        ServingJob.refuseUnclaimedChangelogRestore(conf);
        conf.set(StateRecoveryOptions.RESTORE_MODE, RecoveryClaimMode.NO_CLAIM);
        conf.set(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG, false);
        ServingJob.refuseUnclaimedChangelogRestore(conf); // RocksDB alone takes the full first checkpoint
    }

    @Test
    void needsAnIndexDirectory() {
        assertThatThrownBy(() -> ServingJob.Settings.from(new Configuration())).hasMessageContaining("sluice.index.dir");
    }

    @Test
    void aRoutingPolicyAddsProfilesAndRoutesThatTenantsAndPricesAreCheckedAgainst(@TempDir Path index)
            throws Exception {
        snapshot(index, "s1", EmbeddingModels.card(EmbeddingModels.BUNDLED_MINILM).qualifiedId());
        Configuration c = conf(index);
        Path policy = Files.writeString(index.resolve("routing.json"), """
                {"version": 2,
                 "profiles": [{"name": "large", "backend": "openai", "baseUrl": "http://gpu-host:8000/v1",
                               "model": "qwen", "residency": "eu", "fallbacks": ["extractive"]}],
                 "routes": {"auto": [{"rule": "default", "profiles": ["large"]}]}}
                """);
        c.set(ServingOptions.ROUTING_POLICY, policy.toString());
        c.set(ServingOptions.ANSWER_DEFAULT_MODEL, "auto");
        Path tenants = Files.writeString(index.resolve("tenants.json"), "{\"tenants\": [{\"id\": \"acme\", "
                + "\"models\": [\"auto\"], \"tier\": \"gold\", \"residency\": \"eu\", "
                + "\"modelTokenBudgets\": {\"auto\": {\"tokensPerDay\": 1000}}}]}");
        c.set(ServingOptions.TENANTS_FILE, tenants.toString());
        ServingJob.Settings settings = ServingJob.Settings.from(c);
        assertThat(settings.answerModels().names()).containsExactly("auto", "extractive", "large");
        assertThat(settings.answerModels().policyVersion()).isEqualTo(2);
        assertThat(settings.conversation().tenants().find("acme").orElseThrow().residency()).isEqualTo("eu");

        Path prices = Files.writeString(index.resolve("prices.json"),
                "{\"version\": \"p1\", \"models\": {\"remote\": {\"promptPer1kTokens\": \"0.001\", "
                + "\"completionPer1kTokens\": \"0.002\"}}}");
        c.set(ServingOptions.PRICES_FILE, prices.toString());
        assertThatThrownBy(() -> ServingJob.Settings.from(c)).hasMessageContaining("no price for the answer model 'large'");
        c.set(ServingOptions.PRICES_FILE, "");
        Files.writeString(policy, "{\"version\": 2, \"routes\": {\"auto\": []}}");
        assertThatThrownBy(() -> ServingJob.Settings.from(c))
                .hasMessageContaining("route auto must end with a rule without conditions");
    }

    @Test
    void offersTheConfiguredAnswerModelsAndChecksTenantsAgainstThem(@TempDir Path index) throws Exception {
        snapshot(index, "s1", EmbeddingModels.card(EmbeddingModels.BUNDLED_MINILM).qualifiedId());
        Configuration c = conf(index);
        assertThat(ServingJob.Settings.from(c).answerModels().names()).containsExactly("extractive");

        c.set(ServingOptions.ANSWER_REMOTE_BASE_URL, "http://gpu-host:8000/v1");
        assertThatThrownBy(() -> ServingJob.Settings.from(c)).hasMessageContaining("sluice.answer.remote.model is required");
        c.set(ServingOptions.ANSWER_REMOTE_MODEL, "qwen");
        c.set(ServingOptions.ANSWER_ONNX_MODEL_DIR, index.toString());
        c.set(ServingOptions.ANSWER_DEFAULT_MODEL, "onnx");
        c.set(ServingOptions.ANSWER_TEMPERATURE, 0.5);
        ServingJob.Settings settings = ServingJob.Settings.from(c);
        assertThat(settings.answerModels().names()).containsExactly("extractive", "onnx", "remote");
        assertThat(settings.answerModels().defaultModel()).isEqualTo("onnx");
        assertThat(settings.answerModels().params("remote", "r-1").temperature()).isEqualTo(0.5);
        assertThat(((io.sluice.operators.answer.OpenAiChatModelSpec) settings.answerModels().generativeModels()
                .get("remote")).breaker()).isEqualTo(io.sluice.model.chat.CircuitBreaker.Settings.DEFAULT);

        c.set(ServingOptions.ANSWER_DEFAULT_MODEL, "gpt-9");
        assertThatThrownBy(() -> ServingJob.Settings.from(c)).hasMessageContaining("default answer model 'gpt-9'");
        c.set(ServingOptions.ANSWER_DEFAULT_MODEL, "extractive");
        Path tenants = Files.writeString(index.resolve("tenants.json"),
                "{\"tenants\": [{\"id\": \"acme\", \"answerModel\": \"local-llm\"}]}");
        c.set(ServingOptions.TENANTS_FILE, tenants.toString());
        assertThatThrownBy(() -> ServingJob.Settings.from(c))
                .hasMessageContaining("Tenant acme is answered by 'local-llm', which is not configured");
        Files.writeString(tenants, "{\"tenants\": [{\"id\": \"acme\", \"models\": [\"extractive\", \"local-llm\"]}]}");
        assertThatThrownBy(() -> ServingJob.Settings.from(c))
                .hasMessageContaining("Tenant acme may use [extractive, local-llm], but only");
        Files.writeString(tenants, "{\"tenants\": [{\"id\": \"acme\", \"models\": [\"remote\"]}]}");
        assertThatThrownBy(() -> ServingJob.Settings.from(c))
                .hasMessageContaining("Tenant acme may not use the default answer model 'extractive'");
        Files.writeString(tenants, "{\"tenants\": [{\"id\": \"acme\", \"models\": [\"remote\"], "
                + "\"answerModel\": \"remote\"}]}");
        assertThat(ServingJob.Settings.from(c).tenants().find("acme").orElseThrow().allows("extractive")).isFalse();
        c.set(ServingOptions.ANSWER_ONNX_MODEL_DIR, index.resolve("nowhere").toString());
        assertThatThrownBy(() -> ServingJob.Settings.from(c)).hasMessageContaining("is not a directory");
    }

    @Test
    void theEmbedStageTakesItsConcurrentCallsFromTheConfigurationAndRefusesNone(@TempDir Path index) throws Exception {
        snapshot(index, "s1", EmbeddingModels.card(EmbeddingModels.BUNDLED_MINILM).qualifiedId());
        Configuration c = conf(index);
        c.set(ServingOptions.INDEX_SNAPSHOT, "s1");
        assertThat(ServingJob.Settings.from(c).embed().concurrentCalls())
                .isEqualTo(ServingOptions.EMBEDDING_CONCURRENT_CALLS.defaultValue()).isEqualTo(2);
        c.set(ServingOptions.EMBEDDING_CONCURRENT_CALLS, 3);
        assertThat(ServingJob.Settings.from(c).embed().concurrentCalls()).isEqualTo(3);
        c.set(ServingOptions.EMBEDDING_CONCURRENT_CALLS, 0);
        assertThatThrownBy(() -> ServingJob.Settings.from(c))
                .hasMessage("sluice.embedding.concurrent-calls must be at least 1, not 0");
    }

    /**
     * The embed stage gets a task of its own, retrieval and the conversation the next one; with
     * {@code own-task} false the three are chained into one task, as before.
     */
    @Test
    void theEmbedStageRunsInATaskOfItsOwnUnlessChainedByChoice(@TempDir Path index) throws Exception {
        snapshot(index, "s1", EmbeddingModels.card(EmbeddingModels.DEFAULT).qualifiedId());
        assertThat(taskNames(conf(index))).anySatisfy(t -> assertThat(t).isEqualTo("embed"))
                .anySatisfy(t -> assertThat(t).startsWith("retrieve -> conversation"))
                .noneSatisfy(t -> assertThat(t).contains("embed -> retrieve"));
        Configuration chained = conf(index);
        chained.set(ServingOptions.EMBEDDING_OWN_TASK, false);
        assertThat(taskNames(chained)).anySatisfy(t -> assertThat(t).startsWith("embed -> retrieve -> conversation"));
    }

    /** The names of the tasks (chains of operators) of the serving job built from {@code conf}. */
    private static List<String> taskNames(Configuration conf) {
        conf.set(ServingOptions.AUDIT_JDBC_URL, "jdbc:postgresql://localhost/unused"); // building connects to nothing
        var env = org.apache.flink.streaming.api.environment.StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.enableCheckpointing(1000);
        ServingJob.fromConfiguration(conf).build(env);
        List<String> names = new java.util.ArrayList<>();
        env.getStreamGraph().getJobGraph().getVertices().forEach(v -> names.add(v.getName()));
        return names;
    }

    /** Every setting is in the README's configuration table, and the table names no other. */
    @Test
    void theReadmeDocumentsEverySettingAndNoOther() throws Exception {
        java.util.Set<String> documented = new java.util.TreeSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\| `(sluice\\.[a-z0-9.-]+)` \\|")
                .matcher(java.nio.file.Files.readString(Path.of("..", "README.md")));
        while (m.find()) {
            documented.add(m.group(1));
        }
        java.util.Set<String> defined = new java.util.TreeSet<>();
        for (Class<?> options : List.of(ServingOptions.class, io.sluice.jobs.config.BackfillOptions.class)) {
            for (java.lang.reflect.Field f : options.getFields()) {
                if (org.apache.flink.configuration.ConfigOption.class.isAssignableFrom(f.getType())) {
                    defined.add(((org.apache.flink.configuration.ConfigOption<?>) f.get(null)).key());
                }
            }
        }
        assertThat(documented).isEqualTo(defined);
    }

    /**
     * A setting's constant is its key (after {@code sluice.} and its class's own namespace) in upper
     * snake case, a topic's {@code <NAME>_TOPIC}: one name per setting across config, code and docs.
     */
    @Test
    void everySettingsConstantIsNamedAfterItsKey() throws Exception {
        java.util.Map<Class<?>, String> namespaces = java.util.Map.of(ServingOptions.class, "",
                io.sluice.jobs.config.BackfillOptions.class, "backfill.",
                io.sluice.operators.trace.TracingOptions.class, "tracing.");
        List<String> misnamed = new java.util.ArrayList<>();
        for (var options : namespaces.entrySet()) {
            for (java.lang.reflect.Field f : options.getKey().getFields()) {
                if (!org.apache.flink.configuration.ConfigOption.class.isAssignableFrom(f.getType())) {
                    continue;
                }
                String key = ((org.apache.flink.configuration.ConfigOption<?>) f.get(null)).key()
                        .substring("sluice.".length());
                java.util.Set<String> names = new java.util.HashSet<>();
                names.add(constantOf(key));
                if (!options.getValue().isEmpty() && key.startsWith(options.getValue())) {
                    names.add(constantOf(key.substring(options.getValue().length())));
                }
                if (key.startsWith("topics.")) {
                    names.add(constantOf(key.substring("topics.".length())) + "_TOPIC");
                }
                if (!names.contains(f.getName())) {
                    misnamed.add(options.getKey().getSimpleName() + "." + f.getName() + " (sluice." + key + ")");
                }
            }
        }
        assertThat(misnamed).isEmpty();
    }

    private static String constantOf(String key) {
        return key.replace('.', '_').replace('-', '_').toUpperCase(java.util.Locale.ROOT);
    }

    /** The local stack fills in the job's settings by key, from below: the keys and topics must be the job's. */
    @Test
    void theLocalStackNamesTheJobsSettingsAndTopics() {
        assertThat(List.of(io.sluice.local.LocalStack.BOOTSTRAP_SERVERS_KEY, io.sluice.local.LocalStack.AUDIT_JDBC_URL_KEY,
                io.sluice.local.LocalStack.AUDIT_USER_KEY, io.sluice.local.LocalStack.AUDIT_PASSWORD_FILE_KEY,
                io.sluice.local.LocalStack.INDEX_DIR_KEY)).containsExactly(ServingOptions.KAFKA_BOOTSTRAP_SERVERS.key(),
                ServingOptions.AUDIT_JDBC_URL.key(), ServingOptions.AUDIT_USER.key(),
                ServingOptions.AUDIT_PASSWORD_FILE.key(), ServingOptions.INDEX_DIR.key());
        assertThat(List.of(io.sluice.local.LocalStack.REQUESTS_TOPIC, io.sluice.local.LocalStack.RESPONSES_TOPIC,
                io.sluice.local.LocalStack.REJECTED_TOPIC, io.sluice.local.LocalStack.USAGE_TOPIC,
                io.sluice.local.LocalStack.TENANT_LIMITS_TOPIC)).containsExactly(
                ServingOptions.REQUESTS_TOPIC.defaultValue(), ServingOptions.RESPONSES_TOPIC.defaultValue(),
                ServingOptions.REJECTED_TOPIC.defaultValue(), ServingOptions.USAGE_TOPIC.defaultValue(),
                ServingOptions.TENANT_LIMITS_TOPIC.defaultValue());
    }
}
