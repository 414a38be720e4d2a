package io.sluice.local;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * A real single-node Kafka broker in KRaft mode (broker and controller in one server), from
 * Kafka's own server jars, for the demo and the tests. Listens on loopback only.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    private final KafkaConfig config;
    private KafkaRaftServer server;
    private final String bootstrapServers;
    private final String saslBootstrapServers;

    private EmbeddedKafka(KafkaConfig config, KafkaRaftServer server, String bootstrapServers,
            String saslBootstrapServers) {
        this.config = config;
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.saslBootstrapServers = saslBootstrapServers;
    }

    /** A user and password the broker's SASL/PLAIN listener accepts. */
    public record PlainLogin(String user, String password) {

        /** The JAAS line a client logs in with ({@code sasl.jaas.config}); it holds the password. */
        public String jaasConfig() {
            return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user
                    + "\" password=\"" + password + "\";";
        }
    }

    /**
     * How often the SASL listener authenticated a client ({@code successful}) or refused one, by
     * the broker's own count over the listener's network threads. A client that was not given the
     * listener's {@code security.protocol} speaks plaintext to it and counts as a refusal.
     */
    public double saslAuthentications(boolean successful) throws Exception {
        if (saslBootstrapServers == null) {
            throw new IllegalStateException("this broker was started without a SASL listener");
        }
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        String attribute = successful ? "successful-authentication-total" : "failed-authentication-total";
        double total = 0;
        for (ObjectName name : server.queryNames(new ObjectName(
                "kafka.server:type=socket-server-metrics,listener=SASL_PLAINTEXT,networkProcessor=*"), null)) {
            total += ((Number) server.getAttribute(name, attribute)).doubleValue();
        }
        return total;
    }

    /** Formats {@code dataDir} and starts a broker with its own free ports. */
    public static EmbeddedKafka start(Path dataDir) throws Exception {
        return start(dataDir, null);
    }

    /**
     * As {@link #start(Path)}, with a second listener that authenticates clients with SASL/PLAIN
     * and accepts only {@code login}: a secured cluster's front door, for testing that clients
     * configured with its {@code security.protocol} and {@code sasl.*} properties get through
     * ({@link #saslBootstrapServers}). The plaintext listener stays for the broker itself and for
     * setting up topics.
     */
    public static EmbeddedKafka startWithSaslPlain(Path dataDir, PlainLogin login) throws Exception {
        return start(dataDir, java.util.Objects.requireNonNull(login));
    }

    private static EmbeddedKafka start(Path dataDir, PlainLogin login) throws Exception {
        Files.createDirectories(dataDir);
        int[] ports = freePorts(login == null ? 2 : 3);
        int brokerPort = ports[0];
        int controllerPort = ports[1];
        String logDir = dataDir.toAbsolutePath().toString();
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        String listeners = "PLAINTEXT://127.0.0.1:" + brokerPort;
        String protocols = "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT";
        String saslBootstrapServers = null;
        if (login != null) {
            saslBootstrapServers = "127.0.0.1:" + ports[2];
            listeners += ",SASL_PLAINTEXT://" + saslBootstrapServers;
            protocols += ",SASL_PLAINTEXT:SASL_PLAINTEXT";
            p.put("sasl.enabled.mechanisms", "PLAIN");
            p.put("listener.name.sasl_plaintext.plain.sasl.jaas.config",
                    "org.apache.kafka.common.security.plain.PlainLoginModule required user_" + login.user()
                            + "=\"" + login.password() + "\";");
        }
        p.put("listeners", listeners + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", listeners);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", protocols);
        p.put("log.dirs", logDir);
        p.put("num.partitions", "2");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "4");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("log.flush.interval.messages", "1000000");
        KafkaConfig config = new KafkaConfig(p, false);

        boolean formatted = Files.exists(dataDir.resolve("meta.properties"));
        if (!formatted) {
            new Formatter()
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setNodeId(1)
                    .setDirectories(List.of(logDir))
                    .setMetadataLogDirectory(logDir)
                    .setControllerListenerName("CONTROLLER")
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .run();
        }
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        EmbeddedKafka kafka = new EmbeddedKafka(config, server, "127.0.0.1:" + brokerPort, saslBootstrapServers);
        kafka.awaitReady();
        LOG.info("Kafka (KRaft) listening on {}", kafka.bootstrapServers);
        return kafka;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The SASL/PLAIN listener's address, or null when the broker was started without one. */
    public String saslBootstrapServers() {
        return saslBootstrapServers;
    }

    /** Creates topics that do not exist yet. */
    public void createTopics(Collection<String> topics, int partitions) throws Exception {
        createTopics(bootstrapServers, topics, partitions);
    }

    /** Creates topics on any cluster, skipping those that exist. */
    public static void createTopics(String bootstrapServers, Collection<String> topics, int partitions)
            throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            var existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = topics.stream().filter(t -> !existing.contains(t))
                    .map(t -> new NewTopic(t, partitions, (short) 1)).toList();
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
            }
        }
    }

    private void awaitReady() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            admin.describeCluster().nodes().get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * {@code count} distinct free ports. KRaft needs the controller address before the server
     * starts, so ports are chosen here; the sockets stay open until all are chosen, else the system
     * may hand out the same port twice (seen: broker and controller on one port).
     */
    private static int[] freePorts(int count) throws IOException {
        List<ServerSocket> sockets = new java.util.ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                socket.setReuseAddress(true);
                sockets.add(socket);
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket socket : sockets) {
                socket.close();
            }
        }
    }

    /** Stops the broker as a crash of its host would look to clients; {@link #restart} brings it back. */
    public synchronized void stop() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }

    /** Starts the stopped broker again on the same ports and data: a broker that came back. */
    public synchronized void restart() throws Exception {
        if (server != null) {
            throw new IllegalStateException("the broker is running");
        }
        server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        awaitReady();
    }

    @Override
    public void close() {
        stop();
    }
}
