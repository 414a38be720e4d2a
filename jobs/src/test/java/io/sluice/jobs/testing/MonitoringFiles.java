package io.sluice.jobs.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The metric names that {@code monitoring/} (the alert rules and the Grafana dashboard) query, so
 * that a test scraping a real run can require each of them to exist: a renamed metric then fails
 * the build instead of leaving a panel empty or an alert silent.
 */
public final class MonitoringFiles {

    /** The repository's {@code monitoring/} directory, seen from a module's directory. */
    public static final Path DIR = Path.of("..", "monitoring").toAbsolutePath().normalize();
    public static final Path ALERTS = DIR.resolve("prometheus/alerts.yml");
    public static final Path DASHBOARD = DIR.resolve("grafana/dashboards/sluice.json");

    /** {@code __name__=~"regex"}, quoted plainly (YAML) or escaped (JSON). */
    private static final Pattern NAME_REGEX = Pattern.compile("__name__=~\\\\?\"([^\"\\\\]+)\\\\?\"");
    /** Metric names: Flink's reporter's (flink_...) and the gateway's (sluice_gateway_...). */
    private static final Pattern NAME = Pattern.compile("\\b(flink_[A-Za-z_]+|sluice_gateway_[a-z_]+)\\b");

    private MonitoringFiles() {}

    /** The names and name patterns queried (patterns as regexes), those starting with {@code prefix}. */
    public static Set<String> referenced(String prefix) {
        Set<String> found = new TreeSet<>();
        for (Path file : List.of(ALERTS, DASHBOARD)) {
            // Comments may name a metric in prose: only what is queried counts.
            String text = read(file).lines().filter(l -> !l.stripLeading().startsWith("#"))
                    .collect(Collectors.joining("\n"));
            Matcher regex = NAME_REGEX.matcher(text);
            while (regex.find()) {
                if (regex.group(1).startsWith(prefix)) {
                    found.add("~" + regex.group(1));
                }
            }
            Matcher name = NAME.matcher(NAME_REGEX.matcher(text).replaceAll(""));
            while (name.find()) {
                if (name.group(1).startsWith(prefix)) {
                    found.add(name.group(1));
                }
            }
        }
        return found;
    }

    /** The sample names of a Prometheus text exposition. */
    public static Set<String> sampleNames(String exposition) {
        return exposition.lines().filter(l -> !l.isBlank() && !l.startsWith("#"))
                .map(l -> l.split("[{ ]", 2)[0]).collect(Collectors.toCollection(TreeSet::new));
    }

    /**
     * What of {@link #referenced} ({@code prefix}) no sample of {@code exposition} answers: names
     * absent, patterns that match no name.
     */
    public static List<String> unanswered(String exposition, String prefix) {
        Set<String> names = sampleNames(exposition);
        List<String> missing = new ArrayList<>();
        for (String ref : referenced(prefix)) {
            Predicate<String> matches = ref.startsWith("~") ? Pattern.compile(ref.substring(1)).asMatchPredicate()
                    : ref::equals;
            if (names.stream().noneMatch(matches)) {
                missing.add(ref);
            }
        }
        return missing;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
