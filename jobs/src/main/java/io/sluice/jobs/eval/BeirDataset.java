package io.sluice.jobs.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A retrieval test set in BEIR layout: {@code corpus.jsonl} or {@code corpus.jsonl.gz},
 * {@code queries.jsonl} and {@code qrels/<split>.tsv} (query-id, corpus-id, score, with a header).
 */
public record BeirDataset(Path corpus, Map<String, String> queries, Map<String, Map<String, Integer>> qrels) {

    public static BeirDataset load(Path dir, String split) throws IOException {
        Path corpus = dir.resolve("corpus.jsonl");
        if (!Files.isRegularFile(corpus)) {
            corpus = dir.resolve("corpus.jsonl.gz");
        }
        if (!Files.isRegularFile(corpus)) {
            throw new IOException(dir + " has no corpus.jsonl or corpus.jsonl.gz");
        }
        Path qrelsFile = dir.resolve("qrels").resolve(split + ".tsv");
        if (!Files.isRegularFile(qrelsFile)) {
            throw new IOException(dir + " has no qrels/" + split + ".tsv");
        }
        Map<String, Map<String, Integer>> qrels = new TreeMap<>();
        try (BufferedReader r = Files.newBufferedReader(qrelsFile, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                String[] f = line.strip().split("\t");
                if (f.length < 3 || f[0].equals("query-id")) {
                    continue;
                }
                int grade = Integer.parseInt(f[2].strip());
                if (grade > 0) {
                    qrels.computeIfAbsent(f[0], q -> new TreeMap<>()).put(f[1], grade);
                }
            }
        }
        Map<String, String> queries = new LinkedHashMap<>();
        ObjectMapper mapper = new ObjectMapper();
        try (BufferedReader r = Files.newBufferedReader(dir.resolve("queries.jsonl"), StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = mapper.readTree(line);
                String id = n.path("_id").asText();
                if (qrels.containsKey(id)) {
                    queries.put(id, n.path("text").asText());
                }
            }
        }
        if (queries.isEmpty()) {
            throw new IOException("No query of " + dir.resolve("queries.jsonl") + " is judged in qrels/" + split + ".tsv");
        }
        return new BeirDataset(corpus, queries, qrels);
    }
}
