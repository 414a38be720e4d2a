package io.sluice.bench;

import io.sluice.gateway.Gateway;
import io.sluice.gateway.GatewayLatency;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The gateway instance {@link GatewayLatencyBenchmark} measures: in the benchmark's own JVM (beside
 * the job, the broker and the load generator, sharing their garbage collections), or in a JVM of its
 * own, as a deployment runs it. Either way it reports the same figures, measured inside the gateway.
 */
interface GatewayUnderTest extends AutoCloseable {

    /** Where a gateway runs. */
    enum Jvm {
        /** The benchmark's JVM: the job's and broker's collections pause the gateway too. */
        SHARED,
        /** A JVM of its own, started by the benchmark and stopped with it. */
        OWN
    }

    /**
     * What the gateway measured of itself since {@link #clear()}, in ms; and its JVM's GC pauses and
     * hiccups (how late an idle thread of it woke, p99 and longest).
     */
    record Report(double inboundP50, double inboundP99, double outboundP50, double outboundP99, double addedP50,
            double addedP99, int gcPauses, double longestGcPause, double hiccupP99, double longestHiccup) {

        static Report of(GatewayLatency latency, Stalls stalls) {
            Stalls.Summary stalled = stalls.summary();
            return new Report(latency.inbound().percentileMillis(50), latency.inbound().percentileMillis(99),
                    latency.outbound().percentileMillis(50), latency.outbound().percentileMillis(99),
                    latency.added().percentileMillis(50), latency.added().percentileMillis(99),
                    stalled.gcPauses(), stalled.longestGcPause(), stalled.hiccupP99(), stalled.longestHiccup());
        }

        String line() {
            return String.format(Locale.ROOT, "report %f %f %f %f %f %f %d %f %f %f", inboundP50, inboundP99,
                    outboundP50, outboundP99, addedP50, addedP99, gcPauses, longestGcPause, hiccupP99, longestHiccup);
        }

        static Report parse(String line) {
            String[] f = line.split(" ");
            if (f.length != 11 || !f[0].equals("report")) {
                throw new IllegalStateException("the gateway's JVM answered '" + line + "', not a report");
            }
            return new Report(Double.parseDouble(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]),
                    Double.parseDouble(f[4]), Double.parseDouble(f[5]), Double.parseDouble(f[6]),
                    Integer.parseInt(f[7]), Double.parseDouble(f[8]), Double.parseDouble(f[9]),
                    Double.parseDouble(f[10]));
        }
    }

    int port();

    /** Starts a measurement: forgets the samples so far and counts GC pauses from now. */
    void clear() throws Exception;

    /** The measurement since {@link #clear()}. */
    Report report() throws Exception;

    /** The settings both kinds start their gateway with. */
    record Settings(String bootstrapServers, String jdbcUrl, String user, String passwordFile, String signingKeyFile,
            String requestsTopic, String repliesTopic) {

        Gateway start() throws Exception {
            return Gateway.start(Gateway.Config.builder(bootstrapServers, jdbcUrl).listen("127.0.0.1", 0)
                    .topics(requestsTopic, repliesTopic).database(user, passwordFile).signingKeyFile(signingKeyFile)
                    .build());
        }

        List<String> args() {
            return List.of(bootstrapServers, jdbcUrl, user, passwordFile == null ? "-" : passwordFile, signingKeyFile,
                    requestsTopic, repliesTopic);
        }

        static Settings of(String[] args) {
            return new Settings(args[0], args[1], args[2], args[3].equals("-") ? null : args[3], args[4], args[5],
                    args[6]);
        }
    }

    /**
     * @param nice the own JVM's niceness (Linux {@code nice}; 0 leaves it alone, below 0 needs root),
     *     to give the gateway the CPU first, as cores of its own would
     */
    static GatewayUnderTest start(Jvm jvm, Settings settings, Path log, int nice) throws Exception {
        return jvm == Jvm.SHARED ? new InProcess(settings.start()) : OwnJvm.start(settings, log, nice);
    }

    /** The gateway in this JVM. */
    final class InProcess implements GatewayUnderTest {
        private final Gateway gateway;
        private final Stalls stalls = new Stalls(false);

        InProcess(Gateway gateway) {
            this.gateway = gateway;
        }

        @Override
        public int port() {
            return gateway.port();
        }

        @Override
        public void clear() throws Exception {
            gateway.latency().clear();
            stalls.clear();
        }

        @Override
        public Report report() {
            return Report.of(gateway.latency(), stalls);
        }

        @Override
        public void close() throws Exception {
            stalls.close();
            gateway.close();
        }
    }

    /**
     * The gateway in a child JVM running {@link #main}, driven over its standard input ({@code clear},
     * {@code report}; end of input stops it) and answering on its standard output; its log goes to a file.
     */
    final class OwnJvm implements GatewayUnderTest {
        private final Process process;
        private final BufferedReader answers;
        private final Writer commands;
        private final int port;

        private OwnJvm(Process process) throws IOException {
            this.process = process;
            this.answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.commands = process.outputWriter(StandardCharsets.UTF_8);
            this.port = Integer.parseInt(ChildJvm.ready(process, answers, "port ", "the gateway's JVM"));
        }

        static OwnJvm start(Settings settings, Path log, int nice) throws IOException {
            return new OwnJvm(ChildJvm.start(GatewayUnderTest.class, "512m", nice, log, settings.args()));
        }

        @Override
        public int port() {
            return port;
        }

        private String ask(String command) throws IOException {
            commands.write(command + "\n");
            commands.flush();
            String answer = answers.readLine();
            if (answer == null) {
                throw new IOException("the gateway's JVM stopped answering ("
                        + (process.isAlive() ? "still running" : "exit " + process.exitValue()) + "); see its log");
            }
            return answer;
        }

        @Override
        public void clear() throws IOException {
            String answer = ask("clear");
            if (!answer.equals("cleared")) {
                throw new IOException("the gateway's JVM answered '" + answer + "' to clear");
            }
        }

        @Override
        public Report report() throws IOException {
            return Report.parse(ask("report"));
        }

        @Override
        public void close() throws Exception {
            commands.close(); // end of input: the child closes its gateway and exits
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** The child JVM of {@link OwnJvm}: arguments as {@link Settings#args()}. */
    static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        System.setOut(System.err); // standard output carries the answers, and nothing else
        try (Gateway gateway = Settings.of(args).start()) {
            Stalls stalls = new Stalls(false);
            out.println("port " + gateway.port());
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                switch (line) {
                    case "clear" -> {
                        gateway.latency().clear();
                        stalls.clear();
                        out.println("cleared");
                    }
                    case "report" -> out.println(Report.of(gateway.latency(), stalls).line());
                    default -> out.println("unknown command " + line);
                }
                out.flush();
            }
            stalls.close();
        }
    }
}
