package io.sluice.bench;

import io.sluice.operators.guard.PiiDetector;
import io.sluice.operators.guard.PiiFinding;
import io.sluice.operators.guard.PiiType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Precision and recall of each PII detector on a labeled set (the committed {@code pii-eval.jsonl},
 * or {@code --dataset}). A finding counts as right only with the labeled type and exactly the
 * labeled text; a finding of another span or type is a false positive, and the labeled value it
 * missed a false negative. Lists every error, so a miss can be read, not just counted.
 */
@Command(name = "pii", mixinStandardHelpOptions = true,
        description = "Precision and recall of the PII detectors on a labeled evaluation set.")
public final class PiiBenchmark implements Callable<Integer> {

    private static final String BUNDLED = "pii-eval.jsonl";

    @Option(names = "--dataset", description = "A JSONL file of {\"text\", \"pii\": [{\"type\", \"value\"}]} "
            + "(default: the bundled set).")
    Path dataset;

    @Option(names = "--output", description = "Where the Markdown table goes (default: ${DEFAULT-VALUE}).")
    Path output = Path.of("benchmarks", "target", "pii.md");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Counts of one detector. */
    private static final class Score {
        int truePositives;
        int falsePositives;
        int falseNegatives;

        double precision() {
            return truePositives + falsePositives == 0 ? 1.0 : (double) truePositives / (truePositives + falsePositives);
        }

        double recall() {
            return truePositives + falseNegatives == 0 ? 1.0 : (double) truePositives / (truePositives + falseNegatives);
        }
    }

    /** One labeled or found value: its type and its text. */
    private record Value(PiiType type, String text) {}

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter log = spec.commandLine().getErr();
        PiiDetector detector = new PiiDetector();
        Map<PiiType, Score> scores = new EnumMap<>(PiiType.class);
        for (PiiType t : PiiType.values()) {
            scores.put(t, new Score());
        }
        List<String> errors = new ArrayList<>();
        ObjectMapper mapper = new ObjectMapper();
        int sentences = 0;
        long nanos = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(open(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode row = mapper.readTree(line);
                String text = row.path("text").asText();
                List<Value> expected = new ArrayList<>();
                row.path("pii").forEach(p -> expected.add(new Value(PiiType.valueOf(p.path("type").asText()),
                        p.path("value").asText())));
                long t0 = System.nanoTime();
                List<PiiFinding> findings = detector.find(text);
                nanos += System.nanoTime() - t0;
                sentences++;
                List<Value> unmatched = new ArrayList<>(expected);
                for (PiiFinding f : findings) {
                    Value found = new Value(f.type(), f.in(text));
                    if (unmatched.remove(found)) {
                        scores.get(f.type()).truePositives++;
                    } else {
                        scores.get(f.type()).falsePositives++;
                        errors.add("false positive " + f.type() + " '" + found.text() + "' in: " + text);
                    }
                }
                for (Value missed : unmatched) {
                    scores.get(missed.type()).falseNegatives++;
                    errors.add("missed " + missed.type() + " '" + missed.text() + "' in: " + text);
                }
            }
        }
        errors.forEach(log::println);
        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, "Measured %s on %s: %d sentences, %.1f µs per sentence "
                + "(all detectors).%n%n", LocalDate.now(ZoneOffset.UTC), dataset == null ? "the bundled set "
                + "(`benchmarks/src/main/resources/io/sluice/bench/pii-eval.jsonl`)" : dataset, sentences,
                nanos / 1000.0 / Math.max(1, sentences)));
        table.append("| detector | labeled | found right | false positives | missed | precision | recall |\n");
        table.append("|---|---:|---:|---:|---:|---:|---:|\n");
        Score all = new Score();
        for (var e : scores.entrySet()) {
            Score s = e.getValue();
            all.truePositives += s.truePositives;
            all.falsePositives += s.falsePositives;
            all.falseNegatives += s.falseNegatives;
            table.append(row(e.getKey().name(), s));
        }
        table.append(row("**all**", all));
        BenchServing.publish(table.toString(), output, out, log);
        return 0;
    }

    private static String row(String name, Score s) {
        return String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %.3f | %.3f |%n", name,
                s.truePositives + s.falseNegatives, s.truePositives, s.falsePositives, s.falseNegatives,
                s.precision(), s.recall());
    }

    private InputStream open() throws IOException {
        return BenchServing.dataset(dataset, BUNDLED);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new PiiBenchmark()).execute(args));
    }
}
