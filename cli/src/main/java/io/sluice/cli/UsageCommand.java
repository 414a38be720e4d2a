package io.sluice.cli;

import io.sluice.operators.audit.AuditMigrations;
import io.sluice.operators.audit.UsageReport;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Connection;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code sluice usage}: a tenant's tokens and cost over a time range, from the audit trail. */
@Command(name = "usage", mixinStandardHelpOptions = true,
        description = "Print a tenant's turns, tokens and cost by answer model and API key over a range of event "
                + "time, summed from the audit trail.")
final class UsageCommand implements Callable<Integer> {

    @CommandLine.Mixin
    AuditCommand.Database db;

    @Option(names = "--tenant", required = true, description = "The tenant.")
    String tenant;

    @Option(names = "--from", required = true, description = "From this time on (ISO-8601 instant, or a date: "
            + "its start, UTC).")
    String from;

    @Option(names = "--to", description = "Before this time (ISO-8601 instant, or a date: its start, UTC; "
            + "default: now).")
    String to;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** An instant, or a date meaning its start in UTC. */
    static Instant time(String text, String option, CommandLine cli) {
        try {
            return text.length() == 10 ? LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant()
                    : Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new CommandLine.ParameterException(cli, option + " must be an ISO-8601 instant "
                    + "(2026-12-01T00:00:00Z) or a date (2026-12-01), not '" + text + "'");
        }
    }

    @Override
    public Integer call() throws Exception {
        CommandLine cli = spec.commandLine();
        Instant start = time(from, "--from", cli);
        Instant end = to == null ? Instant.now() : time(to, "--to", cli);
        if (!end.isAfter(start)) {
            throw new CommandLine.ParameterException(cli, "--to must be after --from");
        }
        List<UsageReport.Line> lines;
        try (Connection c = db.open()) {
            AuditMigrations.validate(c);
            lines = UsageReport.of(c, tenant, start, end);
        }
        print(tenant, start, end, lines, cli.getOut());
        return 0;
    }

    static void print(String tenant, Instant start, Instant end, List<UsageReport.Line> lines, PrintWriter out) {
        out.printf("usage of tenant %s, event time %s to %s, from the audit trail%n", tenant, start, end);
        String format = "%-14s %-14s %8s %14s %17s %14s%n";
        out.printf(format, "answer model", "API key", "turns", "prompt tokens", "completion tokens", "cost (USD)");
        long turns = 0;
        long prompt = 0;
        long completion = 0;
        long unpriced = 0;
        BigDecimal cost = BigDecimal.ZERO;
        for (UsageReport.Line l : lines) {
            out.printf(format, l.answerModel(), l.apiKeyId().isEmpty() ? "-" : l.apiKeyId(), l.turns(),
                    l.promptTokens(), l.completionTokens(), l.costUsd().setScale(9, RoundingMode.UNNECESSARY));
            turns += l.turns();
            prompt += l.promptTokens();
            completion += l.completionTokens();
            cost = cost.add(l.costUsd());
            unpriced += l.unpricedTurns();
        }
        out.printf(format, "total", "", turns, prompt, completion, cost.setScale(9, RoundingMode.UNNECESSARY));
        if (turns > unpriced) {
            out.printf("cost per 1,000 messages: %s USD%n", cost.multiply(BigDecimal.valueOf(1000))
                    .divide(BigDecimal.valueOf(turns - unpriced), 9, RoundingMode.HALF_UP).toPlainString());
        }
        if (unpriced > 0) {
            out.printf("%d turns were audited without a price table (sluice.prices.file): no cost%n", unpriced);
        }
        out.flush();
    }
}
