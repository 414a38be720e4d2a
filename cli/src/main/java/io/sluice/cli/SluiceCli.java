package io.sluice.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sluice} command line. */
@Command(
        name = "sluice",
        mixinStandardHelpOptions = true,
        version = "sluice 0.1.0",
        description = "AI chat and retrieval-augmented generation as one checkpointed Flink dataflow.",
        subcommands = {
            DemoCommand.class,
            BackfillCommand.class,
            IngestCommand.class,
            ServeCommand.class,
            EvalCommand.class,
            AuditCommand.class,
            ReplayCommand.class,
            ClusterCommand.class,
            GatewayCommand.class,
            KeysCommand.class,
            UsageCommand.class,
            LimitsCommand.class,
            SnapshotsCommand.class,
            CommandLine.HelpCommand.class
        })
public final class SluiceCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return new CommandLine(new SluiceCli())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler(SluiceCli::reportFailure);
    }

    /**
     * A failed command prints what went wrong, cause by cause, instead of a stack trace; the trace
     * is in the log, and on the terminal with {@code SLUICE_DEBUG=1}.
     */
    private static int reportFailure(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        org.slf4j.LoggerFactory.getLogger(SluiceCli.class).warn("sluice {} failed", cmd.getCommandName(), e);
        var err = cmd.getErr();
        err.println("sluice " + cmd.getCommandName() + ": " + describe(e));
        if ("1".equals(System.getenv("SLUICE_DEBUG"))) {
            e.printStackTrace(err);
        }
        err.flush();
        return 1;
    }

    static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            boolean wrapper = t.getCause() != null && message.equals(t.getCause().toString());
            if (!wrapper && sb.indexOf(message) < 0) {
                sb.append(sb.length() == 0 ? "" : "\n  caused by: ").append(message);
            }
        }
        return sb.toString();
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
