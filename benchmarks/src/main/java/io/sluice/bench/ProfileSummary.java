package io.sluice.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where a CPU profile's samples went, by component: the share of all samples whose stack names the
 * component, each stack counted once, for the first component in {@link #COMPONENTS} order it names
 * (a stack in the model's native code called from the embed stage is the model's, not Sluice's).
 * Reads async-profiler's collapsed stacks: one line per stack, frames separated by {@code ;}, the
 * sample count last. What BENCHMARKS' "where the CPU went" tables are made of.
 */
final class ProfileSummary {

    /** A component and the frames that belong to it. */
    record Component(String name, Pattern frames) {}

    /** The components, most specific first: a stack goes to the first whose frames it contains. */
    static final List<Component> COMPONENTS = List.of(
            component("ONNX Runtime (the model)", "ai/onnxruntime|libonnxruntime|onnxruntime::|Mlas|OrtSymbolBlock"),
            component("JIT compiler", "CompileBroker|C2Compiler|C1Compiler|Compile::|CompileQueue"),
            component("GC", "G1|GC Thread|ConcurrentMark|GC_active"),
            component("Kafka broker", "kafka/server|kafka/log|kafka/network|kafka/raft|kafka/coordinator|"
                    + "kafka/storage|kafka/cluster|org/apache/kafka/storage|org/apache/kafka/server"),
            component("Kafka clients", "org/apache/kafka/clients"),
            component("Lucene", "org/apache/lucene"),
            component("RocksDB", "rocksdb"),
            component("PostgreSQL driver", "org/postgresql"),
            component("Hugging Face tokenizer", "ai/djl/huggingface|tokenizers"),
            component("Flink network", "flink/runtime/io/network|netty"),
            component("serialization", "Serializer|serialize|jackson"),
            component("Sluice", "io/sluice"),
            component("Flink", "org/apache/flink"));

    /** What no component claims. */
    static final String OTHER = "other";

    private final Map<String, Long> samples;
    private final long total;

    private ProfileSummary(Map<String, Long> samples, long total) {
        this.samples = samples;
        this.total = total;
    }

    private static Component component(String name, String frames) {
        return new Component(name, Pattern.compile(frames));
    }

    /** The summary of collapsed stacks in {@code lines}; a line without a count is skipped. */
    static ProfileSummary of(Stream<String> lines) {
        Map<String, Long> samples = new LinkedHashMap<>();
        COMPONENTS.forEach(c -> samples.put(c.name(), 0L));
        samples.put(OTHER, 0L);
        long total = 0;
        for (String line : (Iterable<String>) lines::iterator) {
            int space = line.lastIndexOf(' ');
            if (space < 0) {
                continue;
            }
            long count;
            try {
                count = Long.parseLong(line.substring(space + 1).trim());
            } catch (NumberFormatException e) {
                continue;
            }
            String stack = line.substring(0, space);
            String owner = COMPONENTS.stream().filter(c -> c.frames().matcher(stack).find()).map(Component::name)
                    .findFirst().orElse(OTHER);
            samples.merge(owner, count, Long::sum);
            total += count;
        }
        return new ProfileSummary(samples, total);
    }

    static ProfileSummary read(Path collapsed) {
        try (Stream<String> lines = Files.lines(collapsed, StandardCharsets.UTF_8)) {
            return of(lines);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the profile " + collapsed, e);
        }
    }

    /** The share of all samples (0 to 1) that went to {@code component}; 0 for an empty profile. */
    double share(String component) {
        Long n = samples.get(component);
        if (n == null) {
            throw new IllegalArgumentException("no component " + component);
        }
        return total == 0 ? 0 : (double) n / total;
    }

    long total() {
        return total;
    }

    /** A Markdown table of the components' shares, largest first, components without samples left out. */
    String table() {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "| component | share of %,d samples |%n|---|---:|%n", total));
        samples.entrySet().stream().filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> out.append(String.format(Locale.ROOT, "| %s | %.1f %% |%n", e.getKey(),
                        100.0 * e.getValue() / total)));
        return out.toString();
    }
}
