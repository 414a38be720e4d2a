package io.sluice.bench;

import io.sluice.operators.guard.InjectionDetector;

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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * Detection rate and false-positive rate of the prompt-injection detector on a labeled set (the
 * committed {@code guard-eval.jsonl}, or {@code --dataset}), by attack family and by kind of benign
 * text, next to a baseline measured in the same run: the phrase list many gateways ship (text
 * holding "ignore previous instructions" and a few like it). Lists every miss and every false
 * positive with the rules that fired, so an error can be read, not just counted.
 */
@Command(name = "guard", mixinStandardHelpOptions = true,
        description = "Detection and false-positive rates of the prompt-injection detector on a labeled set.")
public final class GuardBenchmark implements Callable<Integer> {

    private static final String BUNDLED = "guard-eval.jsonl";

    /** The baseline: lower-cased phrases, any of which flags the text. */
    private static final List<String> PHRASES = List.of("ignore previous instructions", "ignore all previous instructions",
            "ignore the above", "disregard previous instructions", "system prompt", "you are now dan", "jailbreak");

    @Option(names = "--dataset", description = "A JSONL file of {\"text\", \"label\": attack|benign, \"family\", "
            + "\"where\": message|source, \"kind\"} (default: the bundled set).")
    Path dataset;

    @Option(names = "--output", description = "Where the Markdown table goes (default: ${DEFAULT-VALUE}).")
    Path output = Path.of("benchmarks", "target", "guard.md");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Counts of one row of the table, for the detector and for the baseline. */
    private static final class Tally {
        int items;
        int flagged;
        int baselineFlagged;

        String rate(int n) {
            return items == 0 ? "-" : String.format(Locale.ROOT, "%.3f", (double) n / items);
        }
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter log = spec.commandLine().getErr();
        InjectionDetector detector = new InjectionDetector();
        Map<String, Tally> attacks = new TreeMap<>();
        Map<String, Tally> benign = new TreeMap<>();
        Tally allAttacks = new Tally();
        Tally allBenign = new Tally();
        List<String> errors = new ArrayList<>();
        ObjectMapper mapper = new ObjectMapper();
        long nanos = 0;
        Predicate<String> baseline = text -> {
            String lower = text.toLowerCase(Locale.ROOT);
            return PHRASES.stream().anyMatch(lower::contains);
        };
        List<JsonNode> rows = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(open(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (!line.isBlank()) {
                    rows.add(mapper.readTree(line));
                }
            }
        }
        for (int warm = 0; warm < 5; warm++) { // the time per text is of compiled code, not of the interpreter
            rows.forEach(row -> detector.scan(row.path("text").asText()));
        }
        for (JsonNode row : rows) {
            String text = row.path("text").asText();
            boolean attack = row.path("label").asText().equals("attack");
            String where = row.path("where").asText("message");
            long t0 = System.nanoTime();
            InjectionDetector.Verdict verdict = detector.scan(text);
            nanos += System.nanoTime() - t0;
            String key = attack ? row.path("family").asText() + " (" + where + ")"
                    : row.path("kind").asText() + " " + where + "s";
            for (Tally t : List.of((attack ? attacks : benign).computeIfAbsent(key, k -> new Tally()),
                    attack ? allAttacks : allBenign)) {
                t.items++;
                t.flagged += verdict.flagged() ? 1 : 0;
                t.baselineFlagged += baseline.test(text) ? 1 : 0;
            }
            if (verdict.flagged() != attack) {
                errors.add((attack ? "missed " : "false positive ") + key + " " + verdict.rules() + ": "
                        + text.replace("\n", "\\n"));
            }
        }
        errors.forEach(log::println);
        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, "Measured %s on %s: %d texts, %.1f µs per text. Baseline: a phrase "
                + "list (%s).%n%n", LocalDate.now(ZoneOffset.UTC), dataset == null ? "the bundled set "
                + "(`benchmarks/src/main/resources/io/sluice/bench/guard-eval.jsonl`)" : dataset, rows.size(),
                nanos / 1000.0 / Math.max(1, rows.size()), String.join(", ", PHRASES.stream().map(p -> "\"" + p + "\"")
                        .toList())));
        table.append("| attacks | texts | detected | detection rate | baseline rate |\n|---|---:|---:|---:|---:|\n");
        attacks.forEach((k, t) -> table.append(row(k, t)));
        table.append(row("**all attacks**", allAttacks));
        table.append("\n| benign | texts | flagged | false-positive rate | baseline rate |\n|---|---:|---:|---:|---:|\n");
        benign.forEach((k, t) -> table.append(row(k, t)));
        table.append(row("**all benign**", allBenign));
        BenchServing.publish(table.toString(), output, out, log);
        return 0;
    }

    private static String row(String name, Tally t) {
        return String.format(Locale.ROOT, "| %s | %d | %d | %s | %s |%n", name, t.items, t.flagged, t.rate(t.flagged),
                t.rate(t.baselineFlagged));
    }

    private InputStream open() throws IOException {
        return BenchServing.dataset(dataset, BUNDLED);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new GuardBenchmark()).execute(args));
    }
}
