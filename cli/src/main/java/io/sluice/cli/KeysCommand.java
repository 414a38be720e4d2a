package io.sluice.cli;

import io.sluice.gateway.ApiKeys;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.sql.Connection;
import java.util.concurrent.Callable;

/** {@code sluice keys migrate|create|list|revoke}: the gateway's API keys in PostgreSQL. */
@Command(name = "keys", mixinStandardHelpOptions = true,
        description = "Manage the HTTP gateway's API keys (stored hashed in PostgreSQL, next to the audit trail).",
        subcommands = {KeysCommand.Migrate.class, KeysCommand.Create.class, KeysCommand.ListKeys.class,
            KeysCommand.Revoke.class})
final class KeysCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "migrate", mixinStandardHelpOptions = true,
            description = "Apply the API key schema migrations the database lacks (as the schema owner); "
                    + "optionally create the login role gateways connect as.")
    static final class Migrate implements Callable<Integer> {
        @CommandLine.Mixin
        AuditCommand.Database db;

        @Option(names = "--reader-login", description = "Create (or update) this login role as a member of "
                + "sluice_key_reader (SELECT on the keys only), for the gateway's --jdbc-user.")
        String readerLogin;

        @Option(names = "--reader-password-file", description = "File holding the password of --reader-login.")
        String readerPasswordFile;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            String password = AuditCommand.loginPassword(spec, "--reader-login", readerLogin, readerPasswordFile);
            try (Connection c = db.open()) {
                int applied = ApiKeys.SCHEMA.migrate(c);
                spec.commandLine().getOut().println("API key schema at V" + ApiKeys.SCHEMA.latest()
                        + (applied == 0 ? " (already)" : " (" + applied + " applied)"));
                if (readerLogin != null) {
                    ApiKeys.grantReader(c, readerLogin, password);
                    spec.commandLine().getOut().println("role " + readerLogin + " looks keys up (member of "
                            + ApiKeys.READER_GROUP + ")");
                }
            }
            return 0;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a key for a tenant and print it: the only time it is shown (only its hash is kept).")
    static final class Create implements Callable<Integer> {
        @CommandLine.Mixin
        AuditCommand.Database db;

        @Option(names = "--tenant", required = true, description = "The tenant the key acts as.")
        String tenant;

        @Option(names = "--label", description = "A note on what the key is for.")
        String label = "";

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (Connection c = db.open()) {
                ApiKeys.SCHEMA.migrate(c);
                ApiKeys.CreatedKey key = ApiKeys.create(c, tenant, label);
                PrintWriter out = spec.commandLine().getOut();
                out.println(key.key());
                out.flush();
                spec.commandLine().getErr().println("key " + key.keyId() + " for tenant " + key.tenantId()
                        + ": keep it now, it is not shown again");
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List keys (ids, never the keys).")
    static final class ListKeys implements Callable<Integer> {
        @CommandLine.Mixin
        AuditCommand.Database db;

        @Option(names = "--tenant", description = "Only this tenant's keys.")
        String tenant;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            try (Connection c = db.open()) {
                for (ApiKeys.KeyInfo k : ApiKeys.list(c, tenant)) {
                    out.printf("%s  %-16s  %s  %s%s%n", k.keyId(), k.tenantId(), k.createdAt(),
                            k.revoked() ? "revoked " + k.revokedAt() : "live", k.label().isEmpty() ? "" : "  " + k.label());
                }
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revoke a key (by its id or the key); gateways refuse it within their cache's time to live.")
    static final class Revoke implements Callable<Integer> {
        @CommandLine.Mixin
        AuditCommand.Database db;

        @Parameters(paramLabel = "KEY_ID", description = "The key's id (from `sluice keys list`) or the key itself.")
        String keyId;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (Connection c = db.open()) {
                boolean revoked = ApiKeys.revoke(c, keyId);
                spec.commandLine().getOut().println(revoked ? "revoked" : "no live key with that id");
                return revoked ? 0 : 1;
            }
        }
    }
}
