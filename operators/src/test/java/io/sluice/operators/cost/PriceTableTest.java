package io.sluice.operators.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.schemas.Cost;
import io.sluice.schemas.ModelCall;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

class PriceTableTest {

    private static ModelCall usage(long prompt, long completion) {
        return new ModelCall("m", 0, 1, 64, 1L, prompt, completion, "stop", 1);
    }

    @Test
    void aTurnCostsItsTokensAtItsModelsPricesAndOneEmbeddingCall(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("prices.json"), "{\"version\":\"2026-12-01\","
                + "\"embeddingPerCall\":\"0.000002\",\"models\":{\"remote\":{\"promptPer1kTokens\":\"0.00015\","
                + "\"completionPer1kTokens\":0.0006},\"tiny\":{\"promptPer1kTokens\":\"0.0000015\"}}}");
        PriceTable prices = PriceTable.load(file);
        // 1,000 prompt tokens at $0.00015 + 500 completion tokens at $0.0006 per 1k + $0.000002.
        Cost cost = prices.cost("remote", usage(1000, 500));
        assertThat(cost).isEqualTo(new Cost(150_000 + 300_000 + 2_000, "2026-12-01"));
        assertThat(cost.usd()).isEqualTo("0.000452000");
        assertThat(prices.cost("remote", usage(1, 1)).nanoUsd()).isEqualTo(150 + 600 + 2_000);
        // 1.5 billionths a token: rounded half up once per turn, not per token.
        assertThat(prices.cost("tiny", usage(1, 7)).nanoUsd()).isEqualTo(2 + 2_000);
        assertThat(prices.cost("tiny", usage(3, 0)).nanoUsd()).isEqualTo(5 + 2_000);
        assertThat(prices.cost("extractive", ModelCall.local("extractive@1")).nanoUsd()).as("only the embedding")
                .isEqualTo(2_000);
        assertThat(prices.cost("remote", usage(-1, -1)).nanoUsd()).as("use not reported").isEqualTo(2_000);
        assertThat(prices.prices("remote")).isTrue();
        assertThat(prices.prices("onnx")).isFalse();
    }

    @Test
    void aBadTableIsRefusedWithItsReason(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("prices.json");
        for (String[] bad : new String[][] {
            {"{\"models\":{}}", "\"version\""},
            {"{\"version\":\"v\",\"embeddingPerCall\":\"-1\"}", "negative"},
            {"{\"version\":\"v\",\"embeddingPerCall\":\"0.0000000001\"}", "billionth"},
            {"{\"version\":\"v\",\"models\":{\"remote\":{\"promptPer1kTokens\":\"cheap\"}}}", "remote.promptPer1kTokens"},
            {"{\"version\":\"v\",\"models\":[]}", "\"models\""}}) {
            Files.writeString(file, bad[0]);
            assertThatThrownBy(() -> PriceTable.load(file)).as(bad[0]).hasMessageContaining("Prices file")
                    .hasMessageContaining(bad[1]);
        }
    }
}
