package io.sluice.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The demo's corpus: Sluice's own README and docs, copied into the jar at build time, so that the
 * demo answers questions about Sluice.
 */
final class DemoCorpus {

    static final List<String> FILES = List.of("README.md", "ARCHITECTURE.md", "BENCHMARKS.md");

    private DemoCorpus() {}

    static Path extract(Path dir) throws IOException {
        Files.createDirectories(dir);
        int found = 0;
        for (String name : FILES) {
            try (InputStream in = DemoCorpus.class.getClassLoader().getResourceAsStream("demo-corpus/" + name)) {
                if (in != null) {
                    Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                    found++;
                }
            }
        }
        if (found == 0) {
            throw new IOException("The demo corpus is missing from the classpath; rebuild with 'mvn install'");
        }
        return dir;
    }
}
