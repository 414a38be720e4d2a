package io.sluice.local.fuzz;

import io.sluice.local.fuzz.FuzzRequests.TurnKey;
import io.sluice.local.fuzz.FuzzRun.Rejected;
import io.sluice.local.fuzz.FuzzRun.Sent;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a fuzz run must show, checked: every record has exactly one outcome (an answer or a typed
 * rejection), that outcome is one the case allows, no request id is answered twice, and nothing
 * answers or rejects a record that was not sent. Also the run's table: per kind of case, how many
 * were sent, answered and rejected for which reason.
 */
public final class FuzzReport {

    private final List<String> violations = new ArrayList<>();
    private final Map<String, Map<String, Integer>> byKind = new TreeMap<>();
    private final FuzzRun.Result result;

    private FuzzReport(FuzzRun.Result result) {
        this.result = result;
    }

    public static FuzzReport check(FuzzRun.Result result) {
        FuzzReport report = new FuzzReport(result);
        report.checkOutcomes();
        return report;
    }

    private void violation(String what) {
        if (violations.size() < 50) {
            violations.add(what);
        } else if (violations.size() == 50) {
            violations.add("... (more)");
        }
    }

    private void checkOutcomes() {
        if (!result.complete()) {
            violation("not every record had an outcome within the time (a record was lost)");
        }
        Map<String, Sent> byPosition = new HashMap<>();
        Map<TurnKey, List<Sent>> byKey = new HashMap<>();
        for (Sent s : result.sent()) {
            byPosition.put(s.position(), s);
            if (s.fuzzCase().turn() != null) {
                byKey.computeIfAbsent(s.fuzzCase().turn(), k -> new ArrayList<>()).add(s);
            }
        }
        Map<String, Rejected> rejectedAt = new HashMap<>();
        for (Rejected r : result.rejections()) {
            if (rejectedAt.put(r.position(), r) != null) {
                violation("record " + r.position() + " was rejected twice");
            }
            Sent s = byPosition.get(r.position());
            if (s == null) {
                violation("a rejection names position " + r.position() + ", which no case was sent to");
            } else if (!s.fuzzCase().expected().contains(r.reason())) {
                violation("case " + s.fuzzCase().index() + " (" + s.fuzzCase().kind() + ") was rejected as "
                        + r.reason() + " by " + r.stage() + "; expected " + s.fuzzCase().expected());
            }
        }
        for (var e : result.answers().entrySet()) {
            List<Sent> sends = byKey.get(e.getKey());
            if (sends == null) {
                violation("an answer names " + e.getKey() + ", which no case sent");
                continue;
            }
            if (e.getValue() > 1) {
                violation(e.getKey() + " was answered " + e.getValue() + " times");
            }
            if (sends.stream().noneMatch(s -> s.fuzzCase().expected().contains(FuzzRequests.ANSWER))) {
                violation(e.getKey() + " was answered; its cases expected " + sends.get(0).fuzzCase().expected());
            }
        }
        for (var e : byKey.entrySet()) {
            long rejected = e.getValue().stream().filter(s -> rejectedAt.containsKey(s.position())).count();
            int answered = result.answers().getOrDefault(e.getKey(), 0);
            if (rejected + answered != e.getValue().size()) {
                violation(e.getKey() + ": " + e.getValue().size() + " records, " + answered + " answers and " + rejected
                        + " rejections");
            }
        }
        for (Sent s : result.sent()) {
            if (s.fuzzCase().turn() == null && !rejectedAt.containsKey(s.position())) {
                violation("case " + s.fuzzCase().index() + " (" + s.fuzzCase().kind() + ") at " + s.position()
                        + " has no outcome");
            }
            String kind = kindOf(s.fuzzCase().kind());
            Rejected r = rejectedAt.get(s.position());
            String outcome = r != null ? r.reason() : s.fuzzCase().turn() != null
                    && result.answers().containsKey(s.fuzzCase().turn()) ? FuzzRequests.ANSWER : "NONE";
            Map<String, Integer> counts = byKind.computeIfAbsent(kind, k -> new TreeMap<>());
            counts.merge("sent", 1, Integer::sum);
            counts.merge(outcome, 1, Integer::sum);
        }
    }

    /** Kinds of the types category differ by field and value; the table groups them by field. */
    private static String kindOf(String kind) {
        int eq = kind.indexOf('=');
        return kind.startsWith("type:") && eq > 0 ? kind.substring(0, eq) : kind;
    }

    public List<String> violations() {
        return List.copyOf(violations);
    }

    /** Answers read: what the audit trail must hold exactly. */
    public int answered() {
        return result.answers().values().stream().mapToInt(Integer::intValue).sum();
    }

    /** A Markdown table: per kind, records sent and their outcomes. */
    public String table(long seed) {
        List<String> outcomes = new ArrayList<>();
        byKind.values().forEach(m -> m.keySet().forEach(k -> {
            if (!k.equals("sent") && !outcomes.contains(k)) {
                outcomes.add(k);
            }
        }));
        outcomes.sort(null);
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "Fuzz run: seed %d, %d records, %.1f s, %s%n%n", seed, result.sent().size(),
                result.elapsed().toMillis() / 1000.0, violations.isEmpty() ? "no violations" : violations.size()
                        + " violations"));
        t.append("| kind | sent | ").append(String.join(" | ", outcomes)).append(" |\n");
        t.append("|---|---:|").append("---:|".repeat(outcomes.size())).append('\n');
        Map<String, Integer> totals = new TreeMap<>();
        byKind.forEach((kind, counts) -> {
            t.append("| ").append(kind).append(" | ").append(counts.get("sent"));
            for (String o : outcomes) {
                t.append(" | ").append(counts.getOrDefault(o, 0));
            }
            t.append(" |\n");
            counts.forEach((k, v) -> totals.merge(k, v, Integer::sum));
        });
        t.append("| **all** | ").append(totals.get("sent"));
        for (String o : outcomes) {
            t.append(" | ").append(totals.getOrDefault(o, 0));
        }
        return t.append(" |\n").toString();
    }
}
