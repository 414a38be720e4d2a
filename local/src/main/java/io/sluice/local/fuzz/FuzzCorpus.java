package io.sluice.local.fuzz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Two tenants' documents for the fuzz gauntlet. Every document and every request of a tenant holds
 * the tenant's mark ({@link #mark}), so a prompt, an answer or a context that holds another tenant's
 * mark is proof of a leak.
 */
public final class FuzzCorpus {

    public static final List<String> TENANTS = List.of("acme", "globex");

    private static final String[][] TOPICS = {
        {"Refund policy", "Customers can request a full refund within thirty days of delivery. Refunds are paid "
                + "back to the original payment card within five business days."},
        {"Shipping times", "Standard shipping takes three to five business days. Express shipping delivers the next "
                + "business day for orders placed before noon."},
        {"Warranty", "Every appliance carries a two year warranty against manufacturing defects. The warranty does "
                + "not cover water damage."},
        {"Support hours", "The support desk answers calls from eight until six on weekdays. Chat support is open "
                + "around the clock."},
    };

    private FuzzCorpus() {}

    /** The word that marks {@code tenant}'s text. */
    public static String mark(String tenant) {
        return "tenantmark" + tenant;
    }

    /** The questions valid requests ask. */
    public static List<String> questions() {
        return List.of("How many days do I have to request a refund?", "How long does express shipping take?",
                "Does the warranty cover water damage?", "When does the support desk answer calls?",
                "How are refunds paid back?", "Is chat support open at night?");
    }

    /** Writes the corpus as JSONL under {@code dir}; returns the directory. */
    public static Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<String> lines = new ArrayList<>();
        for (String tenant : TENANTS) {
            for (int i = 0; i < TOPICS.length; i++) {
                lines.add("{\"id\":\"" + tenant + "-doc-" + i + "\",\"tenantId\":\"" + tenant + "\",\"title\":\""
                        + TOPICS[i][0] + "\",\"text\":\"" + TOPICS[i][1] + " This is " + tenant + " text, "
                        + mark(tenant) + ".\"}");
            }
        }
        Files.write(dir.resolve("fuzz-corpus.jsonl"), lines);
        return dir;
    }

    /** The tenants file of the gauntlet: both tenants, messages up to {@code maxMessageChars}. */
    public static Path writeTenants(Path file, int maxMessageChars) throws IOException {
        StringBuilder json = new StringBuilder("{\"tenants\": [");
        for (int i = 0; i < TENANTS.size(); i++) {
            json.append(i == 0 ? "" : ", ").append("{\"id\": \"").append(TENANTS.get(i))
                    .append("\", \"maxMessageChars\": ").append(maxMessageChars).append("}");
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        return Files.writeString(file, json.append("]}").toString());
    }
}
