package io.sluice.cli;

import io.sluice.operators.audit.AuditConnection;
import io.sluice.operators.audit.AuditMigrations;
import io.sluice.operators.audit.AuditVerifier;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.sql.Connection;
import java.util.concurrent.Callable;

/** {@code sluice audit migrate|verify}: the audit trail's schema and its tamper evidence. */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Manage and check the audit trail in PostgreSQL.",
        subcommands = {AuditCommand.Migrate.class, AuditCommand.Verify.class})
final class AuditCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Where the audit trail is. */
    static final class Database {
        @Option(names = "--jdbc-url", required = true, description = "PostgreSQL JDBC URL of the audit trail.")
        String jdbcUrl;

        @Option(names = "--jdbc-user", description = "Database user (default: ${DEFAULT-VALUE}).")
        String user = "postgres";

        @Option(names = "--jdbc-password", description = "Password (or SLUICE_AUDIT_PASSWORD).")
        String password;

        Connection open() throws java.sql.SQLException {
            return new AuditConnection(jdbcUrl, user, password != null ? password : System.getenv("SLUICE_AUDIT_PASSWORD"))
                    .open();
        }
    }

    /** Prints the broken links and a summary line. */
    static void print(AuditVerifier.Report report, PrintWriter out) {
        for (AuditVerifier.Break b : report.breaks()) {
            out.printf("BROKEN conversation %s at row %d (request %s): %s%n", b.conversationId(), b.sequence(),
                    b.requestId(), b.reason());
        }
        out.printf("%d rows in %d conversations: %s%s%n", report.rows(), report.conversations(),
                report.intact() ? "every chain intact" : report.breaks().size() + " broken chain"
                        + (report.breaks().size() == 1 ? "" : "s"),
                report.unchained() == 0 ? "" : "; " + report.unchained() + " rows predate the hash chain (unverifiable)");
        out.flush();
    }

    @Command(name = "migrate", mixinStandardHelpOptions = true,
            description = "Apply the audit schema migrations this build has and the database lacks (as the schema owner).")
    static final class Migrate implements Callable<Integer> {
        @CommandLine.Mixin
        Database db;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (Connection c = db.open()) {
                int applied = AuditMigrations.migrate(c);
                spec.commandLine().getOut().println("audit schema at V" + AuditMigrations.latest()
                        + (applied == 0 ? " (already)" : " (" + applied + " migration" + (applied == 1 ? "" : "s")
                        + " applied)"));
            }
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check every conversation's hash chain; print the first broken link of each. "
                    + "Exit code 0: intact, 1: broken.")
    static final class Verify implements Callable<Integer> {
        @CommandLine.Mixin
        Database db;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            AuditVerifier.Report report;
            try (Connection c = db.open()) {
                AuditMigrations.validate(c);
                report = AuditVerifier.verify(c, rows -> {
                    err.print("\rverified " + rows + " rows");
                    err.flush();
                });
            }
            err.println();
            print(report, out);
            return report.intact() ? 0 : 1;
        }
    }
}
