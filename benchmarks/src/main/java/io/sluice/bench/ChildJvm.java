package io.sluice.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A benchmark's helper process: this JVM's java, class path and log configuration running another
 * main class, its log appended to a file, its standard output read by the caller.
 */
final class ChildJvm {

    private ChildJvm() {}

    /** Starts {@code main} with {@code args} at the given heap and nice level (0: as this JVM). */
    static Process start(Class<?> main, String maxHeap, int nice, Path log, List<String> args) throws IOException {
        List<String> command = new ArrayList<>();
        if (nice != 0) {
            command.addAll(List.of("nice", "-n", Integer.toString(nice)));
        }
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + maxHeap, "-Dai.djl.offline=true"));
        String logConfig = System.getProperty("log4j.configurationFile");
        if (logConfig != null) {
            command.add("-Dlog4j.configurationFile=" + logConfig);
        }
        command.add("-Dsluice.log.file=" + log.toAbsolutePath());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(args);
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /**
     * The rest of the child's first line after {@code prefix}, which it prints once it is ready; a
     * child that says anything else is stopped and reported as {@code what} that did not start.
     */
    static String ready(Process process, BufferedReader output, String prefix, String what) throws IOException {
        String first = output.readLine();
        if (first == null || !first.startsWith(prefix)) {
            process.destroyForcibly();
            throw new IOException(what + " did not start (it said '" + first + "'; see its log)");
        }
        return first.substring(prefix.length());
    }
}
