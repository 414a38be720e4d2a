package io.sluice.model.decoder;

import io.sluice.model.RuntimeOptions;
import io.sluice.model.chat.ChatMessage;
import io.sluice.model.chat.Generation;
import io.sluice.model.chat.GenerationException;
import io.sluice.model.chat.GenerationParams;
import io.sluice.model.chat.GenerationRequest;
import io.sluice.model.chat.TokenListener;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The in-process decoder on the tiny random model under {@code src/test/resources/tiny-decoder}
 * (built by its {@code generate.py}): real ONNX Runtime, real KV cache.
 */
class OnnxDecoderTest {

    @TempDir
    static Path extracted;

    static Path modelDir() {
        return TinyDecoder.extract(extracted);
    }

    private static OnnxDecoder decoder;

    @BeforeAll
    static void load() throws Exception {
        decoder = OnnxDecoder.load(modelDir(), RuntimeOptions.cpu(1));
    }

    @AfterAll
    static void close() {
        if (decoder != null) {
            decoder.close();
        }
    }

    private static long[] prompt(String question) {
        return decoder.encodePrompt(PromptFormat.CHATML.render(List.of(
                ChatMessage.system("answer the question"), ChatMessage.user(question))));
    }

    private static OnnxDecoder.Row row(String question, GenerationParams params) {
        return new OnnxDecoder.Row(prompt(question), params, TokenListener.NONE);
    }

    private static final GenerationParams GREEDY = GenerationParams.greedy(12, 0);
    private static final GenerationParams SAMPLED = new GenerationParams(1.0, 0.9, 12, 42L, List.of());

    @Test
    void kvCacheDecodingEqualsFullRecomputation() throws Exception {
        List<OnnxDecoder.Row> rows = List.of(row("how long do refunds take ?", GREEDY),
                row("what does the warranty cover ?", SAMPLED),
                row("is the index state in a snapshot or a savepoint ?", GREEDY));
        List<OnnxDecoder.Output> cached = decoder.generate(rows, true);
        List<OnnxDecoder.Output> recomputed = decoder.generate(rows, false);
        for (int i = 0; i < rows.size(); i++) {
            assertThat(cached.get(i).tokens()).as("row %d", i).isEqualTo(recomputed.get(i).tokens()).hasSize(12);
            assertThat(cached.get(i).text()).isEqualTo(recomputed.get(i).text());
        }
    }

    @Test
    void aFixedSeedGivesTheSameAnswerAndAnotherSeedAnotherOne() throws Exception {
        long[] first = decoder.generate(List.of(row("how long do refunds take ?", SAMPLED)), true).get(0).tokens();
        long[] again = decoder.generate(List.of(row("how long do refunds take ?", SAMPLED)), true).get(0).tokens();
        long[] other = decoder.generate(List.of(row("how long do refunds take ?", SAMPLED.withSeed(43L))), true)
                .get(0).tokens();
        assertThat(again).isEqualTo(first);
        assertThat(other).isNotEqualTo(first);
    }

    @Test
    void anAnswerDoesNotDependOnWhatItIsBatchedWith() throws Exception {
        OnnxDecoder.Row subject = row("what does the warranty cover ?", SAMPLED);
        long[] alone = decoder.generate(List.of(subject), true).get(0).tokens();
        // Longer and shorter neighbours: the subject is left-padded differently in each batch.
        List<OnnxDecoder.Output> crowded = decoder.generate(List.of(
                row("is the index state in a snapshot or a savepoint or a checkpoint ?", GREEDY), subject,
                row("why ?", SAMPLED.withSeed(7L))), true);
        List<OnnxDecoder.Output> other = decoder.generate(List.of(subject, row("refund ?", GREEDY)), true);
        assertThat(crowded.get(1).tokens()).isEqualTo(alone);
        assertThat(other.get(0).tokens()).isEqualTo(alone);
    }

    @Test
    void stopsAtAStopStringAndAtTheTokenLimit() throws Exception {
        OnnxDecoder.Output free = decoder.generate(List.of(row("how long do refunds take ?", GREEDY)), true).get(0);
        assertThat(free.finishReason()).isEqualTo("length");
        assertThat(free.tokens()).hasSize(12);
        // Stop at the fourth word the model says: the answer is the three words before it.
        String[] words = free.text().split(" ");
        String stop = words[3];
        int at = free.text().indexOf(stop);
        OnnxDecoder.Output stopped = decoder.generate(List.of(row("how long do refunds take ?",
                new GenerationParams(0.0, 1.0, 12, 0, List.of(stop)))), true).get(0);
        assertThat(stopped.finishReason()).isEqualTo("stop");
        assertThat(stopped.text()).isEqualTo(free.text().substring(0, at));
    }

    @Test
    void stopsAtAStopTokenOfTheModelCard(@TempDir Path dir) throws Exception {
        OnnxDecoder.Output free = decoder.generate(List.of(row("how long do refunds take ?", GREEDY)), true).get(0);
        String[] words = free.text().split(" ");
        String stopWord = words[2];
        for (String file : new String[] {"model.onnx", "tokenizer.json"}) {
            Files.copy(modelDir().resolve(file), dir.resolve(file));
        }
        Files.writeString(dir.resolve("model-card.properties"),
                "id=tiny\nversion=2\nprompt-format=chatml\nstop-tokens=<|im_end|>," + stopWord + "\nmax-context=256\n");
        try (OnnxDecoder stopping = OnnxDecoder.load(dir, RuntimeOptions.cpu(1))) {
            OnnxDecoder.Output out = stopping.generate(List.of(new OnnxDecoder.Row(
                    prompt("how long do refunds take ?"), GREEDY, TokenListener.NONE)), true).get(0);
            assertThat(out.finishReason()).isEqualTo("stop");
            assertThat(out.text()).isEqualTo(words[0] + " " + words[1]);
            assertThat(out.tokens()).hasSize(2);
        }
    }

    @Test
    void streamedPiecesMakeUpTheAnswer() throws Exception {
        List<String> pieces = new ArrayList<>();
        OnnxDecoder.Output out = decoder.generate(List.of(new OnnxDecoder.Row(prompt("why ?"),
                new GenerationParams(0.7, 1.0, 10, 3L, List.of("refund refund")), pieces::add)), true).get(0);
        assertThat(pieces).isNotEmpty();
        assertThat(String.join("", pieces)).isEqualTo(out.text());
    }

    @Test
    void theChatModelBatchesConcurrentRequestsWithoutChangingTheirAnswers() throws Exception {
        List<String> questions = List.of("how long do refunds take ?", "what does the warranty cover ?", "why ?");
        List<long[]> alone = new ArrayList<>();
        for (int i = 0; i < questions.size(); i++) {
            alone.add(decoder.generate(List.of(row(questions.get(i), SAMPLED.withSeed(i))), true).get(0).tokens());
        }
        try (OnnxDecoderChatModel model = OnnxDecoderChatModel.load(modelDir(), RuntimeOptions.cpu(1), 8)) {
            List<CompletableFuture<Generation>> futures = new ArrayList<>();
            List<StringBuilder> streamed = new ArrayList<>();
            for (int i = 0; i < questions.size(); i++) {
                StringBuilder sb = new StringBuilder();
                streamed.add(sb);
                futures.add(model.generate(new GenerationRequest(List.of(ChatMessage.system("answer the question"),
                        ChatMessage.user(questions.get(i))), SAMPLED.withSeed(i)), sb::append));
            }
            for (int i = 0; i < questions.size(); i++) {
                Generation g = futures.get(i).get(60, TimeUnit.SECONDS);
                assertThat(g.text()).isEqualTo(streamed.get(i).toString());
                assertThat(g.completionTokens()).isEqualTo(alone.get(i).length);
                assertThat(g.promptTokens()).isEqualTo(prompt(questions.get(i)).length);
                assertThat(g.modelVersion()).isEqualTo("sluice/tiny-random-decoder@1");
                assertThat(g.text()).isEqualTo(decoder.generate(List.of(row(questions.get(i), SAMPLED.withSeed(i))), true)
                        .get(0).text());
            }
            assertThat(model.modelId()).isEqualTo("onnx:sluice/tiny-random-decoder");

            // A prompt beyond the model's context fails that request alone, with the reason.
            String huge = "refund ".repeat(300);
            assertThat(model.generate(new GenerationRequest(List.of(ChatMessage.user(huge)), GREEDY), TokenListener.NONE))
                    .failsWithin(10, TimeUnit.SECONDS).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .withCauseInstanceOf(GenerationException.class).withMessageContaining("takes at most 255");
        }
    }

    @Test
    void aDirectoryWithoutADecoderGetsAClearError(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> OnnxDecoder.load(dir, RuntimeOptions.cpu(1)))
                .hasMessageContaining("model-card.properties");
        Files.copy(modelDir().resolve("model-card.properties"), dir.resolve("model-card.properties"));
        assertThatThrownBy(() -> OnnxDecoder.load(dir, RuntimeOptions.cpu(1))).hasMessageContaining("no model.onnx");
    }
}
