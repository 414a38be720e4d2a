package io.sluice.jobs.backfill;

import io.sluice.model.TinyEncoder;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/** A generated corpus for the scale test: JSONL.gz files of documents in {@link TinyEncoder}'s words. */
final class ScaleCorpus {

    private ScaleCorpus() {}

    /** Writes {@code documents} documents of about {@code words} words each into {@code files} files; returns the bytes of JSON. */
    static long write(Path dir, int documents, int files, int words, long seed) throws IOException {
        Files.createDirectories(dir);
        Random random = new Random(seed);
        List<String> vocabulary = TinyEncoder.WORDS;
        long bytes = 0;
        int perFile = (documents + files - 1) / files;
        for (int f = 0; f < files; f++) {
            Path file = dir.resolve(String.format("part-%02d.jsonl.gz", f));
            try (BufferedWriter out = new BufferedWriter(new OutputStreamWriter(
                    new GZIPOutputStream(Files.newOutputStream(file), 1 << 16), StandardCharsets.UTF_8), 1 << 16)) {
                for (int i = f * perFile; i < Math.min(documents, (f + 1) * perFile); i++) {
                    StringBuilder text = new StringBuilder();
                    for (int w = 0; w < words; w++) {
                        text.append(w == 0 ? "" : " ").append(vocabulary.get(random.nextInt(vocabulary.size())));
                    }
                    String line = "{\"id\":\"doc-" + i + "\",\"tenantId\":\"tenant-" + (i % 7) + "\",\"title\":\""
                            + vocabulary.get(i % vocabulary.size()) + "\",\"text\":\"" + text + ".\"}\n";
                    bytes += line.length();
                    out.write(line);
                }
            }
        }
        return bytes;
    }
}
