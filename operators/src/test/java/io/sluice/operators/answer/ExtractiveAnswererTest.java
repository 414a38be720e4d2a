package io.sluice.operators.answer;

import io.sluice.operators.context.ContextCompiler;
import io.sluice.operators.retrieve.IndexFields;
import io.sluice.schemas.RetrievedChunk;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ExtractiveAnswererTest {

    private final ExtractiveAnswerer answerer = new ExtractiveAnswerer(IndexFields.analyzer(), 2, 0.3);
    private final ContextCompiler compiler = new ContextCompiler(t -> t.isBlank() ? 0 : t.split("\\s+").length);

    private static RetrievedChunk chunk(String id, String text) {
        return new RetrievedChunk(id, id.split("#")[0], id, text, 1.0, 1, 1);
    }

    @Test
    void quotesSupportingSentencesWithTheirMarkers() {
        var ctx = compiler.compile("How does the checkpoint store state?", List.of(), List.of(
                chunk("cats#0", "Cats sleep most of the day. They purr."),
                chunk("head#0", "# Checkpoint state\nA checkpoint stores state."),
                chunk("flink#0", "Flink is a stream processor. A checkpoint stores operator state durably.")), 500);
        Answer answer = answerer.answer("How does the checkpoint store state?", ctx);
        // The heading and the four-word sentence are too short to quote.
        assertThat(answer.text()).isEqualTo("A checkpoint stores operator state durably. [3]");
        assertThat(answer.citedMarkers()).containsExactly(3);
    }

    @Test
    void neverQuotesAQuestionOrAHeadingGluedToText() {
        var ctx = compiler.compile("how does the checkpoint store state", List.of(), List.of(
                chunk("faq#0", "How does the checkpoint store state?\nCheckpoints\nThe checkpoint stores all state in durable storage.")), 500);
        assertThat(answerer.answer("how does the checkpoint store state", ctx).text())
                .isEqualTo("The checkpoint stores all state in durable storage. [1]");
    }

    @Test
    void leavesOutSentencesFarWeakerThanTheBest() {
        var ctx = compiler.compile("rocksdb incremental checkpoint state backend", List.of(), List.of(
                chunk("a#0", "RocksDB is a state backend with incremental checkpoint support.\nA backend for all kinds of data.")), 500);
        assertThat(answerer.answer("rocksdb incremental checkpoint state backend", ctx).text())
                .isEqualTo("RocksDB is a state backend with incremental checkpoint support. [1]");
    }

    @Test
    void saysSoWhenNothingSupportsTheQuestion() {
        var ctx = compiler.compile("quantum chromodynamics?", List.of(), List.of(chunk("cats#0", "Cats purr.")), 500);
        Answer answer = answerer.answer("quantum chromodynamics?", ctx);
        assertThat(answer.text()).isEqualTo(ExtractiveAnswerer.NO_ANSWER);
        assertThat(answer.citedMarkers()).isEmpty();
    }

    @Test
    void isDeterministicAndOrdersBySource() {
        var ctx = compiler.compile("state backend rocksdb", List.of(), List.of(
                chunk("a#0", "The state backend keeps all state."),
                chunk("b#0", "RocksDB is a state backend on local disk.")), 500);
        Answer first = answerer.answer("state backend rocksdb", ctx);
        assertThat(answerer.answer("state backend rocksdb", ctx)).isEqualTo(first);
        assertThat(first.text()).isEqualTo("The state backend keeps all state. [1] RocksDB is a state backend on local disk. [2]");
    }

    /**
     * Questions over the same sources, as popular ones retrieve them: later answers read the sources
     * from memory, and give what a fresh answerer reading them gives. Two sources share their first
     * sentence, so a reading remembered under too short a key would answer from the other's text.
     */
    @Test
    void rememberedReadingsAnswerAsFreshOnesDo() {
        String shared = "Checkpoints are taken by the job manager at fixed intervals. ";
        List<RetrievedChunk> sources = List.of(
                chunk("a#0", shared + "RocksDB keeps operator state on local disk with incremental uploads."),
                chunk("b#0", shared + "The heap backend keeps operator state in memory for fast access."),
                chunk("c#0", "Savepoints are taken by hand before an upgrade. Are they portable? They are."));
        List<String> questions = List.of("where does rocksdb keep operator state", "how are checkpoints taken",
                "what keeps state in memory", "when are savepoints taken", "where does rocksdb keep operator state");
        for (String question : questions) {
            var ctx = compiler.compile(question, List.of(), sources, 500);
            Answer fresh = new ExtractiveAnswerer(IndexFields.analyzer(), 2, 0.3).answer(question, ctx);
            assertThat(answerer.answer(question, ctx)).as(question).isEqualTo(fresh);
        }
        assertThat(answerer.remembered()).isEqualTo(sources.size());

        // A source past the bound is read every time and not remembered.
        String longSource = "RocksDB keeps operator state on local disk. ".repeat(200);
        var ctx = compiler.compile("rocksdb state", List.of(), List.of(chunk("d#0", longSource)), 100_000);
        assertThat(answerer.answer("rocksdb state", ctx).text()).startsWith("RocksDB keeps operator state on local disk. [1]");
        assertThat(answerer.remembered()).isEqualTo(sources.size());
    }
}
