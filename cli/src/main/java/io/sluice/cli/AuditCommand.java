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

        @Option(names = "--jdbc-password-file", description = "File holding the password (default: the "
                + "environment variable SLUICE_AUDIT_PASSWORD, for `sluice gateway` SLUICE_GATEWAY_PASSWORD; "
                + "passwords never go on a command line).")
        String passwordFile;

        Connection open() throws java.sql.SQLException {
            return new AuditConnection(jdbcUrl, user, passwordFile, java.time.Duration.ofSeconds(60)).open();
        }
    }

    /** Prints the broken links, the notices and a summary line. */
    static void print(AuditVerifier.Report report, PrintWriter out) {
        for (AuditVerifier.Break b : report.breaks()) {
            out.printf("BROKEN tenant %s conversation %s at row %d (request %s): %s%n", b.tenantId(),
                    b.conversationId(), b.sequence(), b.requestId(), b.reason());
        }
        for (AuditVerifier.Notice n : report.notices()) {
            out.printf("NOTICE tenant %s conversation %s: %s%n", n.tenantId(), n.conversationId(), n.what());
        }
        String verdict;
        if (report.rows() == 0 && report.quarantined() == 0) {
            verdict = "the audit trail is empty: nothing to verify";
        } else if (!report.breaks().isEmpty()) {
            verdict = report.breaks().size() + " broken chain" + (report.breaks().size() == 1 ? "" : "s");
        } else if (!report.notices().isEmpty()) {
            verdict = "no broken link; " + report.notices().size() + " chain" + (report.notices().size() == 1 ? "" : "s")
                    + " quarantined or forked (see NOTICE lines)";
        } else {
            verdict = "every chain intact";
        }
        out.printf("%d rows in %d conversations%s: %s%s%n", report.rows(), report.conversations(),
                report.quarantined() == 0 ? "" : " (and " + report.quarantined() + " quarantined)", verdict,
                report.unchained() == 0 ? "" : "; " + report.unchained() + " rows predate the hash chain (unverifiable)");
        out.flush();
    }

    /**
     * The password of a login role a migration creates ({@code loginOption} names it; its password
     * comes from the file option beside it, {@code <loginOption>}'s "-login" as "-password-file"):
     * null without a login, checked before anything is migrated.
     */
    static String loginPassword(CommandLine.Model.CommandSpec spec, String loginOption, String login,
            String passwordFile) {
        String fileOption = loginOption.replace("-login", "-password-file");
        if (login == null) {
            if (passwordFile != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), fileOption + " needs " + loginOption);
            }
            return null;
        }
        if (passwordFile == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), loginOption + " needs " + fileOption);
        }
        String password = io.sluice.schemas.Secrets.resolve(passwordFile, null);
        if (password == null || password.isEmpty()) {
            // PostgreSQL takes an empty password as none: the login could never log in with one.
            throw new CommandLine.ParameterException(spec.commandLine(), fileOption + " " + passwordFile + " is empty");
        }
        return password;
    }

    @Command(name = "migrate", mixinStandardHelpOptions = true,
            description = "Apply the audit schema migrations this build has and the database lacks (as the schema "
                    + "owner); optionally create the login role a serving job writes as.")
    static final class Migrate implements Callable<Integer> {
        @CommandLine.Mixin
        Database db;

        @Option(names = "--writer-login", description = "Create (or update) this login role as a member of "
                + "sluice_audit_writer (INSERT and SELECT only), for sluice.audit.user.")
        String writerLogin;

        @Option(names = "--writer-password-file", description = "File holding the password of --writer-login.")
        String writerPasswordFile;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            String password = loginPassword(spec, "--writer-login", writerLogin, writerPasswordFile);
            try (Connection c = db.open()) {
                int applied = AuditMigrations.migrate(c);
                spec.commandLine().getOut().println("audit schema at V" + AuditMigrations.latest()
                        + (applied == 0 ? " (already)" : " (" + applied + " migration" + (applied == 1 ? "" : "s")
                        + " applied)"));
                if (writerLogin != null) {
                    AuditMigrations.grantWriter(c, writerLogin, password);
                    spec.commandLine().getOut().println("role " + writerLogin + " writes the audit trail "
                            + "(member of sluice_audit_writer)");
                }
            }
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check every conversation's hash chain; print the first broken link of each. "
                    + "Exit code 0: every chain intact; 1: a broken link, or rows that predate the chain; "
                    + "2: no broken link, but quarantined rows or forked chains.")
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
            return report.exitCode();
        }
    }
}
