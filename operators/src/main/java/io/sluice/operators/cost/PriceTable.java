package io.sluice.operators.cost;

import io.sluice.schemas.Cost;
import io.sluice.schemas.ModelCall;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Prices in US dollars, versioned: per 1,000 prompt and completion tokens of each answer model, and
 * per embedding call (each turn embeds its question once). Loaded from a JSON file:
 *
 * <pre>{@code
 * {"version": "2026-12-01",
 *  "embeddingPerCall": "0.000002",
 *  "models": {"remote": {"promptPer1kTokens": "0.00015", "completionPer1kTokens": "0.0006"}}}
 * }</pre>
 *
 * Prices are decimal numbers or strings (strings keep every digit); a model left out costs
 * nothing per token (the extractive answerer). Held as whole billionths of a dollar per 1,000 tokens,
 * so a turn's cost is exact up to one rounding, half up, to a billionth.
 */
public final class PriceTable implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final BigDecimal BILLION = BigDecimal.valueOf(1_000_000_000L);

    /** A model's prices, in billionths of a dollar per 1,000 tokens. */
    public record ModelPrice(long promptPer1k, long completionPer1k) implements Serializable {}

    private final String version;
    private final long embeddingPerCall;
    private final TreeMap<String, ModelPrice> models;

    public PriceTable(String version, long embeddingPerCallNanoUsd, Map<String, ModelPrice> models) {
        if (version == null || version.isBlank()) {
            throw new IllegalArgumentException("a price table needs a version");
        }
        if (embeddingPerCallNanoUsd < 0 || models.values().stream().anyMatch(p -> p.promptPer1k < 0
                || p.completionPer1k < 0)) {
            throw new IllegalArgumentException("prices must not be negative");
        }
        this.version = version;
        this.embeddingPerCall = embeddingPerCallNanoUsd;
        this.models = new TreeMap<>(models);
    }

    public String version() {
        return version;
    }

    /** Whether the table names a price for {@code model}. */
    public boolean prices(String model) {
        return models.containsKey(model);
    }

    /**
     * The cost of a turn answered by {@code answerModel} with {@code call}: its tokens at the model's
     * prices (a count the model did not report counts as none) and one embedding call.
     */
    public Cost cost(String answerModel, ModelCall call) {
        ModelPrice p = models.get(answerModel);
        long tokens = 0;
        if (p != null) {
            BigDecimal perThousand = BigDecimal.valueOf(Math.max(0, call.promptTokens()))
                    .multiply(BigDecimal.valueOf(p.promptPer1k))
                    .add(BigDecimal.valueOf(Math.max(0, call.completionTokens()))
                            .multiply(BigDecimal.valueOf(p.completionPer1k)));
            tokens = perThousand.divide(BigDecimal.valueOf(1000), 0, RoundingMode.HALF_UP).longValueExact();
        }
        return new Cost(tokens + embeddingPerCall, version);
    }

    public static PriceTable load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("Prices file not found: " + file);
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException("Prices file " + file + " is not valid JSON: " + e.getMessage(), e);
        }
        try {
            if (!root.path("version").isTextual()) {
                throw new IllegalArgumentException("\"version\" (a string) is required: it goes into every audit row");
            }
            Map<String, ModelPrice> models = new TreeMap<>();
            JsonNode list = root.path("models");
            if (!list.isMissingNode() && !list.isObject()) {
                throw new IllegalArgumentException("\"models\" must map answer model names to prices");
            }
            list.fields().forEachRemaining(e -> models.put(e.getKey(), new ModelPrice(
                    nano(e.getValue().get("promptPer1kTokens"), e.getKey() + ".promptPer1kTokens"),
                    nano(e.getValue().get("completionPer1kTokens"), e.getKey() + ".completionPer1kTokens"))));
            return new PriceTable(root.get("version").asText(), nano(root.get("embeddingPerCall"), "embeddingPerCall"),
                    models);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IOException("Prices file " + file + ": " + e.getMessage(), e);
        }
    }

    /** A price in dollars as whole billionths; absent is 0. */
    private static long nano(JsonNode price, String name) {
        if (price == null || price.isNull()) {
            return 0;
        }
        BigDecimal usd;
        try {
            usd = price.isNumber() ? price.decimalValue() : new BigDecimal(price.asText());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + name + "' must be a price in dollars, not '" + price.asText() + "'");
        }
        if (usd.signum() < 0) {
            throw new IllegalArgumentException("'" + name + "' must not be negative");
        }
        BigDecimal nano = usd.multiply(BILLION);
        if (nano.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("'" + name + "' has more precision than a billionth of a dollar");
        }
        return nano.longValueExact();
    }

    @Override
    public String toString() {
        return "PriceTable " + version + " " + models.keySet();
    }
}
