package io.sluice.operators.retrieve;

import io.sluice.model.EmbeddingModel;
import io.sluice.model.EmbeddingModels;
import io.sluice.operators.batch.ChunkEmbedder;
import io.sluice.schemas.Chunk;
import io.sluice.schemas.EmbeddedChunk;
import io.sluice.schemas.RetrievedChunk;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Writes a real snapshot with real MiniLM vectors and searches it. */
class HybridSearcherTest {

    @TempDir
    static Path dir;

    private static EmbeddingModel model;
    private static IndexStore store;
    private static HybridSearcher searcher;

    @BeforeAll
    static void build() throws Exception {
        model = EmbeddingModels.open(EmbeddingModels.BUNDLED_MINILM, 1);
        store = new IndexStore(dir);
        List<Chunk> chunks = List.of(
                chunk("acme", "kafka", "Kafka topics", "Kafka topics are split into partitions that consumers read in order."),
                chunk("acme", "rocks", "RocksDB", "RocksDB keeps large keyed state on local disk and snapshots it incrementally."),
                chunk("acme", "lucene", "Lucene", "Lucene scores text with BM25 and searches vectors with HNSW graphs."),
                chunk("globex", "secret", "Globex plans", "Kafka partitions at Globex hold the secret merger plan."));
        List<EmbeddedChunk> embedded = new ArrayList<>();
        List<float[]> vectors = model.embed(chunks.stream().map(Chunk::embeddingInput).toList());
        for (int i = 0; i < chunks.size(); i++) {
            embedded.add(new EmbeddedChunk(chunks.get(i),
                    ChunkEmbedder.contentKey(model.card().qualifiedId(), chunks.get(i)), vectors.get(i), false));
        }
        SnapshotWriter.write(store, new SnapshotManifest("snap-test", "1970-01-01T00:00:00Z",
                model.card().qualifiedId(), 384, "test", 4, 4, 4, 0, List.of("acme", "globex")), embedded);
        store.promote("snap-test");
        searcher = HybridSearcher.open(store, store.resolve(null), SearchSettings.LUCENE_RRF);
    }

    @AfterAll
    static void close() {
        searcher.close();
        model.close();
    }

    private static Chunk chunk(String tenant, String doc, String title, String text) {
        return new Chunk(doc + "#0", tenant, doc, title, 0, 1, text, 0);
    }

    private List<RetrievedChunk> search(SearchMode mode, String tenant, String query) {
        return searcher.search(mode, tenant, query, model.embed(query), 3, 10);
    }

    @Test
    void findsTheRightChunkInEveryMode() {
        for (SearchMode mode : SearchMode.values()) {
            assertThat(search(mode, "acme", "where is keyed state stored on disk?").get(0).documentId())
                    .as(mode.name()).isEqualTo("rocks");
        }
    }

    @Test
    void hybridReportsRanksFromBothRetrievers() {
        RetrievedChunk top = search(SearchMode.HYBRID, "acme", "BM25 and HNSW in Lucene").get(0);
        assertThat(top.documentId()).isEqualTo("lucene");
        assertThat(top.bm25Rank()).isEqualTo(1);
        assertThat(top.vectorRank()).isEqualTo(1);
        assertThat(top.score()).isEqualTo(2.0 / 61);
    }

    @Test
    void theDefaultConvexFusionAndBm25ParametersRankFromTheSameSnapshot() throws Exception {
        try (HybridSearcher tuned = HybridSearcher.open(store, "snap-test", SearchSettings.DEFAULT)) {
            String q = "where is keyed state stored on disk?";
            float[] v = model.embed(q);
            List<RetrievedChunk> hits = tuned.search(SearchMode.HYBRID, "acme", q, v, 3, 10);
            assertThat(hits.get(0).documentId()).isEqualTo("rocks");
            // Convex scores lie in [0, 1]: the best of both lists scores 1.
            assertThat(hits.get(0).bm25Rank()).isEqualTo(1);
            assertThat(hits.get(0).vectorRank()).isEqualTo(1);
            assertThat(hits.get(0).score()).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-9));
            // k1 and b change BM25's scores without a new snapshot.
            var lucene = searcher.candidates(SearchMode.BM25, "acme", "Kafka partitions consumers", null, 3).bm25();
            var mine = tuned.candidates(SearchMode.BM25, "acme", "Kafka partitions consumers", null, 3).bm25();
            assertThat(mine.get(0).id()).isEqualTo(lucene.get(0).id());
            assertThat(mine.get(0).score()).isNotEqualTo(lucene.get(0).score());
        }
    }

    @Test
    void completedCandidatesCarryEachRetrieversExactScoreForTheOthersFinds() {
        String q = "where is keyed state stored on disk?";
        float[] v = model.embed(q);
        var deep = searcher.candidates(SearchMode.HYBRID, "acme", q, v, 10);
        // BM25's best and the vector list's worst: each list misses what the other has.
        var shallow = new HybridSearcher.Candidates(deep.bm25().subList(0, 1),
                deep.vector().subList(deep.vector().size() - 1, deep.vector().size()));
        var complete = searcher.complete(shallow, "acme", q, v);
        var union = new java.util.TreeSet<Integer>();
        shallow.bm25().forEach(c -> union.add(c.id()));
        shallow.vector().forEach(c -> union.add(c.id()));
        assertThat(union).hasSize(2);
        assertThat(complete.bm25()).extracting(Fusion.Candidate::id).containsExactlyInAnyOrderElementsOf(union);
        assertThat(complete.vector()).extracting(Fusion.Candidate::id).containsExactlyInAnyOrderElementsOf(union);
        for (var c : complete.bm25()) {
            // A chunk BM25 would not return (none of the terms) scores 0.
            double expected = deep.bm25().stream().filter(d -> d.id().equals(c.id())).mapToDouble(Fusion.Candidate::score)
                    .findFirst().orElse(0);
            assertThat(c.score()).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-5));
        }
        for (var c : complete.vector()) {
            double expected = deep.vector().stream().filter(d -> d.id().equals(c.id()))
                    .mapToDouble(Fusion.Candidate::score).findFirst().orElseThrow();
            assertThat(c.score()).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-5));
        }
        assertThat(complete.vector()).isSortedAccordingTo(
                java.util.Comparator.comparingDouble((Fusion.Candidate<Integer> c) -> c.score()).reversed());
    }

    /**
     * What {@link HybridSearcher#search} returns on complete scores, the long way: both lists, every
     * candidate scored by both retrievers, fused, with the ranks the retrievers gave.
     */
    private static List<RetrievedChunk> completedAndFused(HybridSearcher searcher, String q, float[] v, int topK,
            int depth) {
        var retrieved = searcher.candidates(SearchMode.HYBRID, "acme", q, v, Math.max(topK, depth));
        var complete = searcher.complete(retrieved, "acme", q, v);
        List<String> bm25 = chunkIds(searcher, retrieved.bm25());
        List<String> vector = chunkIds(searcher, retrieved.vector());
        return searcher.chunks(searcher.settings().fusion().fuse(complete.bm25(), complete.vector(), topK)).stream()
                .map(c -> new RetrievedChunk(c.chunkId(), c.documentId(), c.title(), c.text(), c.score(),
                        bm25.indexOf(c.chunkId()) + 1, vector.indexOf(c.chunkId()) + 1, c.tokens()))
                .toList();
    }

    private static List<String> chunkIds(HybridSearcher searcher, List<Fusion.Candidate<Integer>> list) {
        return searcher.chunks(list.stream().map(c -> new Fusion.Fused<>(c.id(), 0, 0, 0)).toList()).stream()
                .map(RetrievedChunk::chunkId).toList();
    }

    /** Fewer BM25 hits than candidates asked for are all of them: the search completes without scoring them again. */
    @Test
    void aBm25ListShorterThanAskedForIsCompletedWithZeros() throws Exception {
        try (HybridSearcher complete = HybridSearcher.open(store, "snap-test", SearchSettings.DEFAULT)) {
            assertThat(complete.settings().completeScores()).isTrue();
            for (String q : List.of("Lucene BM25", "where is keyed state stored on disk?", "Kafka partitions in order")) {
                float[] v = model.embed(q);
                assertThat(complete.candidates(SearchMode.BM25, "acme", q, v, 10).bm25()).hasSizeLessThan(10);
                assertThat(complete.search(SearchMode.HYBRID, "acme", q, v, 3, 10)).as(q)
                        .isEqualTo(completedAndFused(complete, q, v, 3, 10));
            }
        }
    }

    @Test
    void searchOnCompletedScoresReportsTheRanksTheRetrieversGave() throws Exception {
        String q = "Lucene BM25";
        float[] v = model.embed(q);
        try (HybridSearcher complete = HybridSearcher.open(store, "snap-test",
                SearchSettings.DEFAULT.withCompleteScores(true))) {
            var retrieved = complete.candidates(SearchMode.HYBRID, "acme", q, v, 3);
            List<RetrievedChunk> hits = complete.search(SearchMode.HYBRID, "acme", q, v, 3, 3);
            assertThat(hits).isNotEmpty();
            // "Lucene BM25" matches one chunk's terms only: the others were not retrieved by BM25, and
            // keep rank 0 there although the completed BM25 list holds them (with score 0).
            assertThat(retrieved.bm25()).hasSize(1);
            assertThat(hits).filteredOn(h -> !h.documentId().equals("lucene")).extracting(RetrievedChunk::bm25Rank)
                    .containsOnly(0);
            assertThat(hits.get(0).documentId()).isEqualTo("lucene");
            assertThat(hits.get(0).bm25Rank()).isEqualTo(1);
        }
    }

    @Test
    void neverReturnsAnotherTenantsChunks() {
        for (SearchMode mode : SearchMode.values()) {
            assertThat(search(mode, "acme", "Globex secret merger plan Kafka partitions"))
                    .extracting(RetrievedChunk::documentId).doesNotContain("secret").isNotEmpty();
            assertThat(search(mode, "globex", "how are Kafka topics read by consumers?"))
                    .extracting(RetrievedChunk::documentId).containsOnly("secret");
            assertThat(search(mode, "nobody", "Kafka")).isEmpty();
        }
    }

    @Test
    void reusesVectorsByContentKey() throws Exception {
        Chunk c = chunk("acme", "kafka", "Kafka topics", "Kafka topics are split into partitions that consumers read in order.");
        try (EmbeddingReuse reuse = EmbeddingReuse.open(store.snapshotDir("snap-test"))) {
            float[] found = reuse.find(ChunkEmbedder.contentKey(model.card().qualifiedId(), c)).orElseThrow();
            assertThat(found).containsExactly(model.embed(c.embeddingInput()), org.assertj.core.api.Assertions.within(1e-6f));
            assertThat(reuse.find("no-such-key")).isEmpty();
        }
    }

    @Test
    void queryTextIsNeverParsedAsSyntax() {
        assertThat(search(SearchMode.BM25, "acme", "tenant_id:globex OR *:* AND (")).isNotNull();
        assertThat(search(SearchMode.BM25, "acme", "the a of")).isEmpty();
    }

    @Test
    void aMessageOfAThousandWordsSearchesItsFirstDistinctTerms() throws Exception {
        // 1,100 distinct words: more than Lucene's clause limit (1,024) if every term were a clause.
        StringBuilder message = new StringBuilder("where is keyed state stored on disk");
        for (int i = 0; i < 1_100; i++) {
            message.append(" w").append(i).append("x");
        }
        List<RetrievedChunk> hits = search(SearchMode.HYBRID, "acme", message.toString());
        assertThat(hits.get(0).documentId()).isEqualTo("rocks");
        var query = (org.apache.lucene.search.BooleanQuery) searcher.termQuery(message.toString());
        assertThat(query.clauses()).hasSize(SearchSettings.DEFAULT_MAX_QUERY_TERMS);
    }

    @Test
    void repeatedTermsScoreAsLucenesQueryBuilderScoresThem() throws Exception {
        String question = "Kafka Kafka partitions: which consumers read Kafka partitions in order?";
        var mine = searcher.termQuery(question);
        var lucene = new org.apache.lucene.util.QueryBuilder(IndexFields.analyzer())
                .createBooleanQuery(IndexFields.CONTENT, question, org.apache.lucene.search.BooleanClause.Occur.SHOULD);
        try (var dirReader = org.apache.lucene.index.DirectoryReader.open(
                org.apache.lucene.store.FSDirectory.open(store.snapshotDir("snap-test").resolve("shard-000")))) {
            var s = new org.apache.lucene.search.IndexSearcher(dirReader);
            var a = s.search(mine, 10).scoreDocs;
            var b = s.search(lucene, 10).scoreDocs;
            assertThat(a).hasSameSizeAs(b).isNotEmpty();
            for (int i = 0; i < a.length; i++) {
                assertThat(a[i].doc).isEqualTo(b[i].doc);
                assertThat(a[i].score).isCloseTo(b[i].score, org.assertj.core.api.Assertions.within(1e-5f));
            }
        }
    }

    /**
     * The BM25 search stops counting hits at the candidates it keeps, so the scorers skip blocks that
     * cannot compete from the start: its candidates are still those of a search that counts and
     * scores every hit, ties included (a corpus of few words has many equal scores), over shards.
     */
    @Test
    void bm25CandidatesAreThoseOfASearchThatScoresEveryHit(@TempDir Path shards) throws Exception {
        long seed = new java.util.Random().nextLong();
        System.out.println("HybridSearcherTest pruning seed " + seed);
        java.util.Random random = new java.util.Random(seed);
        String[] words = {"kafka", "flink", "state", "lucene", "vector", "token", "budget", "tenant", "audit",
            "replay", "model", "shard", "snapshot", "checkpoint"};
        List<Path> dirs = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            Path shard = shards.resolve("shard-" + s);
            try (ShardWriter writer = new ShardWriter(shard)) {
                for (int i = 0; i < 1_500; i++) {
                    StringBuilder text = new StringBuilder();
                    for (int w = 0; w < 2 + random.nextInt(10); w++) {
                        text.append(words[random.nextInt(words.length)]).append(' ');
                    }
                    float[] vector = new float[4];
                    for (int d = 0; d < vector.length; d++) {
                        vector[d] = (float) random.nextGaussian();
                    }
                    vector = io.sluice.model.Vectors.normalize(vector);
                    Chunk chunk = new Chunk("d" + s + "-" + i + "#0", i % 4 == 0 ? "globex" : "acme",
                            "d" + s + "-" + i, null, 0, 1, text.toString(), 0);
                    writer.add(new EmbeddedChunk(chunk, "k" + s + "-" + i, vector, false));
                }
                writer.finish();
            }
            dirs.add(shard);
        }
        List<org.apache.lucene.store.FSDirectory> opened = new ArrayList<>();
        try (HybridSearcher pruning = new HybridSearcher(dirs, "pruning", SearchSettings.DEFAULT);
                var reader = HybridSearcher.open(dirs, opened)) {
            var exhaustive = new org.apache.lucene.search.IndexSearcher(reader);
            exhaustive.setSimilarity(new org.apache.lucene.search.similarities.BM25Similarity(
                    SearchSettings.DEFAULT.bm25K1(), SearchSettings.DEFAULT.bm25B()));
            for (int q = 0; q < 50; q++) {
                String question = words[random.nextInt(words.length)] + " " + words[random.nextInt(words.length)]
                        + " " + words[random.nextInt(words.length)];
                int n = 1 + random.nextInt(60);
                var query = new org.apache.lucene.search.BooleanQuery.Builder()
                        .add(pruning.termQuery(question), org.apache.lucene.search.BooleanClause.Occur.MUST)
                        .add(new org.apache.lucene.search.TermQuery(new org.apache.lucene.index.Term(
                                IndexFields.TENANT_ID, "acme")), org.apache.lucene.search.BooleanClause.Occur.FILTER)
                        .build();
                var expected = exhaustive.search(query,
                        new org.apache.lucene.search.TopScoreDocCollectorManager(n, null, Integer.MAX_VALUE));
                assertThat(expected.totalHits.value).as("seed %d", seed).isGreaterThan(n);
                var candidates = pruning.candidates(SearchMode.BM25, "acme", question, null, n).bm25();
                assertThat(candidates.stream().map(c -> c.id() + "=" + (float) c.score()).toList())
                        .as("seed %d: %s, %d candidates", seed, question, n)
                        .containsExactlyElementsOf(java.util.Arrays.stream(expected.scoreDocs)
                                .map(d -> d.doc + "=" + d.score).toList());
                // The BM25 list is full here, so the search completes the kNN candidates' BM25 scores.
                float[] vector = io.sluice.model.Vectors.normalize(new float[] {(float) random.nextGaussian(),
                    (float) random.nextGaussian(), (float) random.nextGaussian(), (float) random.nextGaussian()});
                assertThat(pruning.search(SearchMode.HYBRID, "acme", question, vector, 10, n))
                        .as("seed %d: %s, %d candidates", seed, question, n)
                        .isEqualTo(completedAndFused(pruning, question, vector, 10, n));
            }
        } finally {
            for (var d : opened) {
                d.close();
            }
        }
    }
}
