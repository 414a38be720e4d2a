package io.sluice.local;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real PostgreSQL server from the binaries that ship in Maven Central jars (zonky), on a free
 * loopback port, with a fixed locale so that results never depend on the machine.
 *
 * <p>A JVM that is killed cannot stop its postmaster; the next start in the same data directory
 * finds the stale {@code postmaster.pid} and stops that process first.
 */
public final class EmbeddedPostgres implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgres.class);

    private final io.zonky.test.db.postgres.embedded.EmbeddedPostgres postgres;
    private final Path dataDir;

    private EmbeddedPostgres(io.zonky.test.db.postgres.embedded.EmbeddedPostgres postgres, Path dataDir) {
        this.postgres = postgres;
        this.dataDir = dataDir;
    }

    public static EmbeddedPostgres start(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        stopStale(dataDir);
        var pg = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
                .setDataDirectory(dataDir)
                .setCleanDataDirectory(true)
                .setOverrideWorkingDirectory(dataDir.resolveSibling(dataDir.getFileName() + "-bin").toFile())
                .setLocaleConfig("locale", "C")
                .setLocaleConfig("encoding", "UTF8")
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("fsync", "off")
                .start();
        LOG.info("PostgreSQL listening on port {}", pg.getPort());
        return new EmbeddedPostgres(pg, dataDir);
    }

    /** The URL without credentials: the user goes in the connection properties, so any user can connect. */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres";
    }

    public String user() {
        return "postgres";
    }

    /** The postmaster and every server process under it (fault tests stop and resume them). */
    public java.util.List<ProcessHandle> processes() throws IOException {
        long pid = Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid"), StandardCharsets.US_ASCII)
                .get(0).strip());
        ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow(() -> new IOException("no postmaster " + pid));
        java.util.List<ProcessHandle> all = new java.util.ArrayList<>();
        all.add(postmaster);
        postmaster.descendants().forEach(all::add);
        return all;
    }

    private static void stopStale(Path dataDir) {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        try {
            long pid = Long.parseLong(Files.readAllLines(pidFile, StandardCharsets.US_ASCII).get(0).strip());
            ProcessHandle.of(pid).ifPresent(p -> {
                LOG.warn("Stopping stale PostgreSQL (pid {}) left in {}", pid, dataDir);
                p.destroy();
                p.onExit().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join();
            });
        } catch (IOException | RuntimeException e) {
            LOG.warn("Could not check stale PostgreSQL in {}: {}", dataDir, e.toString());
        }
    }

    @Override
    public void close() throws IOException {
        postgres.close();
    }
}
