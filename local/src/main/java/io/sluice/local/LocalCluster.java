package io.sluice.local;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A standalone Flink session cluster on this machine as separate JVM processes — one JobManager,
 * some TaskManagers — started from this build's Flink jars with the project's
 * {@code flink-conf/config.yaml}, the way Flink's own {@code start-cluster.sh} starts them: the
 * same entry points, JVM memory flags computed by Flink's {@code BashJavaUtils}, and jobs submitted
 * and stopped through Flink's own command-line client ({@code flink run}, {@code flink stop}).
 *
 * <p>Every process logs to {@code <workDir>/log}. Ports are chosen free at start, so clusters of
 * several test runs do not collide.
 */
public final class LocalCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalCluster.class);

    private static final Pattern SUBMITTED = Pattern.compile("Job has been submitted with JobID ([0-9a-f]{32})");
    private static final Pattern SAVEPOINT = Pattern.compile("Savepoint completed\\. Path: (\\S+)");

    private final Path workDir;
    private final Path confDir;
    private final String classpath;
    private final Map<String, String> settings;
    private final int restPort;
    private Process jobManager;
    private final List<Process> taskManagers = new ArrayList<>();

    private LocalCluster(Path workDir, Path confDir, String classpath, Map<String, String> settings, int restPort) {
        this.workDir = workDir;
        this.confDir = confDir;
        this.classpath = classpath;
        this.settings = settings;
        this.restPort = restPort;
    }

    /**
     * Starts a JobManager and {@code taskManagers} TaskManagers.
     *
     * @param confDir the directory with {@code config.yaml} and the log4j files ({@code flink-conf/})
     * @param classpath Flink's jars (the build writes them to {@code jobs/target/cluster-classpath.txt})
     * @param overrides settings on top of {@code config.yaml}, e.g. checkpoint directories
     */
    public static LocalCluster start(Path workDir, Path confDir, String classpath, int taskManagers,
            Map<String, String> overrides) throws IOException, InterruptedException {
        Files.createDirectories(workDir.resolve("log"));
        int rest = freePort();
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("rest.port", String.valueOf(rest));
        settings.put("jobmanager.rpc.port", String.valueOf(freePort()));
        settings.put("rest.address", "localhost");
        settings.put("jobmanager.rpc.address", "localhost");
        settings.putAll(overrides);
        LocalCluster cluster = new LocalCluster(workDir, confDir, classpath, settings, rest);
        try {
            cluster.jobManager = cluster.launch("jobmanager",
                    "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", "GET_JM_RESOURCE_PARAMS");
            for (int i = 0; i < taskManagers; i++) {
                cluster.startTaskManager();
            }
            cluster.awaitTaskManagers(taskManagers, Duration.ofSeconds(90));
            Files.writeString(workDir.resolve("rest-port"), String.valueOf(rest));
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /** The cluster that {@code start} left running under {@code workDir}, to submit to or stop. */
    public static LocalCluster attach(Path workDir, Path confDir, String classpath) throws IOException {
        Path address = workDir.resolve("rest-port");
        if (!Files.isRegularFile(address)) {
            throw new IOException("No cluster was started from " + workDir + " (sluice cluster start)");
        }
        int rest = Integer.parseInt(Files.readString(address).strip());
        return new LocalCluster(workDir, confDir, classpath, Map.of(), rest);
    }

    /** Stops the processes of a cluster started under {@code workDir}; returns how many were running. */
    public static int stop(Path workDir) throws IOException {
        int stopped = 0;
        if (!Files.isDirectory(workDir)) {
            return 0;
        }
        try (var pids = Files.list(workDir)) {
            for (Path pid : pids.filter(p -> p.toString().endsWith(".pid")).toList()) {
                long id = Long.parseLong(Files.readString(pid).strip());
                var process = ProcessHandle.of(id);
                if (process.isPresent() && process.get().destroy()) {
                    process.get().onExit().orTimeout(30, TimeUnit.SECONDS).exceptionally(e -> null).join();
                    stopped++;
                }
                Files.delete(pid);
            }
        }
        Files.deleteIfExists(workDir.resolve("rest-port"));
        return stopped;
    }

    /** Leaves the processes running when this object goes away (for {@code sluice cluster start}). */
    public void detach() {
        jobManager = null;
        taskManagers.clear();
    }

    /** The REST address clients submit to, {@code localhost:<port>}. */
    public String restAddress() {
        return "localhost:" + restPort;
    }

    /** Starts one more TaskManager process. */
    public void startTaskManager() throws IOException, InterruptedException {
        taskManagers.add(launch("taskmanager-" + taskManagers.size(),
                "org.apache.flink.runtime.taskexecutor.TaskManagerRunner", "GET_TM_RESOURCE_PARAMS"));
    }

    /** Kills TaskManager {@code index} with SIGKILL: no shutdown hooks, no goodbye to the JobManager. */
    public void killTaskManager(int index) throws InterruptedException {
        Process tm = taskManagers.get(index);
        tm.destroyForcibly();
        tm.waitFor(30, TimeUnit.SECONDS);
        LOG.info("Killed TaskManager {} (pid {})", index, tm.pid());
    }

    /** {@code flink run --detached}: submits {@code jar} with {@code args}; returns the job id. */
    public String submit(Path jar, List<String> options, List<String> args) throws IOException, InterruptedException {
        List<String> flags = new ArrayList<>(List.of("--detached"));
        flags.addAll(options);
        return match(run(jar, flags, args), SUBMITTED, "flink run");
    }

    /**
     * {@code flink run} of {@code jar}'s program with {@code args}, attached unless {@code options}
     * say {@code --detached}: returns what the client printed once the program ended (a batch
     * program, such as the backfill, after its job).
     */
    public String run(Path jar, List<String> options, List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("run", "--jobmanager", restAddress()));
        command.addAll(options);
        command.add(jar.toAbsolutePath().toString());
        command.addAll(args);
        return client(command);
    }

    /** {@code flink stop --savepointPath}: stops the job with a savepoint; returns its path. */
    public String stopWithSavepoint(String jobId, Path savepoints) throws IOException, InterruptedException {
        return match(client(List.of("stop", "--jobmanager", restAddress(), "--savepointPath",
                savepoints.toUri().toString(), jobId)), SAVEPOINT, "flink stop");
    }

    /** Runs Flink's command-line client ({@code CliFrontend}) in its own JVM; returns its output. */
    private String client(List<String> args) throws IOException, InterruptedException {
        List<String> command = java(List.of("-Xmx512m"));
        command.add("org.apache.flink.client.cli.CliFrontend");
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("FLINK_CONF_DIR", confDir.toAbsolutePath().toString());
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("flink " + args.get(0) + " failed (exit " + (p.isAlive() ? "timeout" : p.exitValue())
                    + "):\n" + output);
        }
        return output;
    }

    private static String match(String output, Pattern pattern, String what) throws IOException {
        Matcher m = pattern.matcher(output);
        if (!m.find()) {
            throw new IOException(what + " did not report what it did:\n" + output);
        }
        return m.group(1);
    }

    private Process launch(String name, String mainClass, String resourceCommand) throws IOException, InterruptedException {
        List<String> jvm = new ArrayList<>();
        List<String> dynamic = new ArrayList<>();
        resourceParams(resourceCommand, jvm, dynamic);
        jvm.add("-Dlog.file=" + workDir.resolve("log").resolve(name + ".log").toAbsolutePath());
        jvm.add("-Dlog4j.configurationFile=" + confDir.resolve("log4j.properties").toUri());
        List<String> command = java(jvm);
        command.add(mainClass);
        command.add("--configDir");
        command.add(confDir.toAbsolutePath().toString());
        settings.forEach((k, v) -> {
            command.add("-D");
            command.add(k + "=" + v);
        });
        command.addAll(dynamic);
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(workDir.resolve("log").resolve(name + ".out").toFile())
                .start();
        Files.writeString(workDir.resolve(name + ".pid"), String.valueOf(p.pid()));
        LOG.info("Started {} (pid {})", name, p.pid());
        return p;
    }

    /** Flink's own computation of JVM memory flags (what its start scripts do through BashJavaUtils). */
    private void resourceParams(String command, List<String> jvm, List<String> dynamic)
            throws IOException, InterruptedException {
        List<String> c = java(List.of("-Xmx128m"));
        c.add("org.apache.flink.runtime.util.bash.BashJavaUtils");
        c.add(command);
        c.add("--configDir");
        c.add(confDir.toAbsolutePath().toString());
        settings.forEach((k, v) -> {
            c.add("-D");
            c.add(k + "=" + v);
        });
        Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        List<String> results = output.lines().filter(l -> l.startsWith("BASH_JAVA_UTILS_EXEC_RESULT:"))
                .map(l -> l.substring("BASH_JAVA_UTILS_EXEC_RESULT:".length()).strip()).toList();
        if (results.isEmpty()) {
            throw new IOException("Flink could not compute the memory settings:\n" + output);
        }
        jvm.addAll(List.of(results.get(0).split("\\s+")));
        if (results.size() > 1 && !results.get(1).isBlank()) {
            dynamic.addAll(List.of(results.get(1).split("\\s+")));
        }
    }

    private List<String> java(List<String> jvmOptions) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(JvmFlags.OPENS);
        command.add("-Dai.djl.offline=true");
        command.add("-cp");
        command.add(classpath);
        return command;
    }

    private void awaitTaskManagers(int count, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        while (true) {
            try {
                String body = http.send(java.net.http.HttpRequest.newBuilder(
                                java.net.URI.create("http://" + restAddress() + "/taskmanagers")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                if (body.split("\"id\"").length - 1 >= count) {
                    return;
                }
            } catch (IOException notYet) {
                // the REST endpoint is not up yet
            }
            if (!jobManager.isAlive()) {
                throw new IOException("The JobManager exited; see " + workDir.resolve("log"));
            }
            if (System.nanoTime() > deadline) {
                throw new IOException(count + " TaskManagers did not register within " + timeout + "; see "
                        + workDir.resolve("log"));
            }
            Thread.sleep(200); // polling a REST endpoint: there is no callback for registration
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        List<Process> all = new ArrayList<>(taskManagers);
        if (jobManager != null) {
            all.add(jobManager);
        }
        for (Process p : all) {
            p.destroy();
        }
        for (Process p : all) {
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
