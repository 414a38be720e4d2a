package io.sluice.operators.guard;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;

class AnswerRedactorTest {

    private static final PiiDetector DETECTOR = new PiiDetector();

    /** Values, references that only look like them, and plain words, to build answers from. */
    private static final List<String> PARTS = List.of(
            "jane.doe@example.com", "ops+alerts@mail.acme.co.uk", "+44 20 7946 0958", "(555) 123-4567",
            "Card 4111 1111 1111 1111", "IBAN DE89 3704 0044 0532 0130 00", "My SSN is 123-45-6789",
            "192.168.1.20", "2001:db8::8a2e:370:7334", "sk-proj-abcdefghijklmnopqrstuvwxyz123456",
            "Invoice 3976 1872 1404 2417 is overdue", "Order 0012345678 is late", "ISBN 978-3-16-148410-0",
            "version 1.2.3.4 fixed it", "Card 4111 1111 1111 1112 was declined", "[1]", "[EMAIL_1]",
            "the refund", "takes thirty days", "and", "so", "\n", ".", ",", "ask", "desk 555 123 4567",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U");

    private static String stream(String text, Random random, Map<String, Integer> taken) {
        AnswerRedactor redactor = new AnswerRedactor(new PiiRedactor(DETECTOR, taken));
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (at < text.length()) {
            int end = Math.min(text.length(), at + 1 + random.nextInt(random.nextBoolean() ? 4 : 40));
            out.append(redactor.accept(text.substring(at, end)));
            at = end;
        }
        return out.append(redactor.finish()).toString();
    }

    @Test
    void aStreamedAnswerIsRedactedAsTheWholeAnswerIs() {
        long seed = Long.getLong("sluice.test.seed", System.nanoTime());
        System.out.println("AnswerRedactorTest seed " + seed + " (rerun with -Dsluice.test.seed=" + seed + ")");
        Random random = new Random(seed);
        for (int round = 0; round < 500; round++) {
            StringBuilder text = new StringBuilder();
            for (int i = random.nextInt(30); i > 0; i--) {
                text.append(PARTS.get(random.nextInt(PARTS.size()))).append(random.nextInt(5) == 0 ? "" : " ");
            }
            Map<String, Integer> taken = random.nextBoolean() ? Map.of() : Map.of("EMAIL", 2);
            String whole = new PiiRedactor(DETECTOR, taken).redact(text.toString()).text();
            assertThat(stream(text.toString(), random, taken)).as("seed %d, text %s", seed, text).isEqualTo(whole);
        }
    }

    @Test
    void aValueThatLosesAnOverlapForNowIsHeldUntilTheOverlapIsDecided() {
        // While the text ends in ".co.uk", "1111ops+alerts@mail.acme.co.uk" reads as an address and
        // wins over the card number it touches; the key that follows makes it no address after all.
        String text = "Card 4111 1111 1111 1111ops+alerts@mail.acme.co.uk"
                + "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U done";
        AnswerRedactor redactor = new AnswerRedactor(new PiiRedactor(DETECTOR, Map.of()));
        StringBuilder out = new StringBuilder();
        for (int at = 0; at < text.length(); at += 3) {
            out.append(redactor.accept(text.substring(at, Math.min(text.length(), at + 3))));
        }
        out.append(redactor.finish());
        assertThat(out.toString()).doesNotContain("4111").isEqualTo(new PiiRedactor(DETECTOR, Map.of()).redact(text)
                .text());
    }

    @Test
    void valuesNeverLeaveAndNumberingContinuesTheQuestions() {
        AnswerRedactor redactor = new AnswerRedactor(new PiiRedactor(DETECTOR, Map.of("EMAIL", 1)));
        StringBuilder out = new StringBuilder();
        for (String piece : List.of("Write to ", "jane.", "doe@exa", "mple.com or [EMAIL_1]; card 4111 1111 ",
                "1111 1111 is on file.")) {
            String emitted = redactor.accept(piece);
            assertThat(emitted).doesNotContain("jane", "4111");
            out.append(emitted);
        }
        out.append(redactor.finish());
        assertThat(out.toString()).isEqualTo("Write to [EMAIL_2] or [EMAIL_1]; card [PAYMENT_CARD_1] is on file.");
        assertThat(redactor.redacted()).containsExactly(Map.entry("EMAIL", 1), Map.entry("PAYMENT_CARD", 1));
    }

    @Test
    void textWithoutPersonalDataFlowsWithABoundedDelay() {
        AnswerRedactor redactor = new AnswerRedactor(new PiiRedactor(DETECTOR));
        String sentence = "Refunds are paid back to the original payment method within thirty days of the "
                + "request being approved by the team. ";
        String out = redactor.accept(sentence + sentence);
        assertThat(out).isNotEmpty();
        assertThat(2 * sentence.length() - out.length()).isLessThanOrEqualTo(AnswerRedactor.HOLD + 20);
    }
}
