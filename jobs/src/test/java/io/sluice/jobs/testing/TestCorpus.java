package io.sluice.jobs.testing;

import io.sluice.jobs.backfill.Backfill;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.RuntimeOptions;
import io.sluice.operators.chunk.ChunkerSettings;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A small two-tenant corpus, written as JSONL, with known answers. */
public final class TestCorpus {

    public static final String ACME = "acme";
    public static final String GLOBEX = "globex";

    /** Document id to tenant. */
    public static final Map<String, String> TENANT_OF = Map.of(
            "acme-refunds", ACME,
            "acme-shipping", ACME,
            "acme-warranty", ACME,
            "globex-merger", GLOBEX,
            "globex-lunch", GLOBEX);

    private TestCorpus() {}

    /**
     * Writes the corpus under {@code work/docs} and backfills it, as tenant acme, into a promoted
     * snapshot under {@code work/index}; returns the snapshot id.
     */
    public static String backfill(Path work) throws Exception {
        return new Backfill(new Backfill.Settings(write(work.resolve("docs")), work.resolve("index"), ACME,
                ChunkerSettings.DEFAULT, EmbeddingModels.BUNDLED_MINILM, 8, RuntimeOptions.cpu(1), 1),
                new PrintWriter(new StringWriter())).run().snapshotId();
    }

    public static Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("corpus.jsonl");
        Files.write(file, List.of(
                doc("acme-refunds", ACME, "Refund policy",
                        "Customers can request a full refund within thirty days of delivery. "
                                + "Refunds are paid back to the original payment card within five business days. "
                                + "Opened software cannot be refunded."),
                doc("acme-shipping", ACME, "Shipping times",
                        "Standard shipping takes three to five business days inside the country. "
                                + "Express shipping delivers the next business day for orders placed before noon. "
                                + "International parcels are handed to a partner carrier at the border."),
                doc("acme-warranty", ACME, "Warranty",
                        "Every appliance carries a two year warranty against manufacturing defects. "
                                + "The warranty does not cover damage from dropping the device or from water."),
                doc("globex-merger", GLOBEX, "Project Falcon",
                        "The secret merger with Initech is called Project Falcon and closes in March. "
                                + "Only the board may discuss the merger plan and its codename outside this room."),
                doc("globex-lunch", GLOBEX, "Cafeteria",
                        "The cafeteria serves lunch from noon until two in the afternoon on weekdays. "
                                + "Vegetarian dishes are marked with a green leaf on the menu.")));
        return dir;
    }

    private static String doc(String id, String tenant, String title, String text) {
        return "{\"id\":\"" + id + "\",\"tenantId\":\"" + tenant + "\",\"title\":\"" + title
                + "\",\"text\":\"" + text + "\",\"updatedAt\":\"2026-01-0" + (id.length() % 9 + 1) + "T00:00:00Z\"}";
    }
}
