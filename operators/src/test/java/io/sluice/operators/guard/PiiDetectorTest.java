package io.sluice.operators.guard;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PiiDetectorTest {

    private final PiiDetector detector = new PiiDetector();

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "Write to jane.doe@example.com today. | EMAIL | jane.doe@example.com",
        "cc ops+alerts@mail.acme.co.uk please | EMAIL | ops+alerts@mail.acme.co.uk",
        "Call +1 (555) 123-4567 after six | PHONE | +1 (555) 123-4567",
        "London office: +44 20 7946 0958. | PHONE | +44 20 7946 0958",
        "Tokyo +81-3-1234-5678 | PHONE | +81-3-1234-5678",
        "or (555) 123-4567 at home | PHONE | (555) 123-4567",
        "fax 555.123.4567 | PHONE | 555.123.4567",
        "call me on 030 1234567 tomorrow | PHONE | 030 1234567",
        "from abroad 0044 20 7946 0958 works | PHONE | 0044 20 7946 0958",
        "desk 555 123 4567 | PHONE | 555 123 4567",
        "Card 4111 1111 1111 1111 expires soon | PAYMENT_CARD | 4111 1111 1111 1111",
        "paid with 5555555555554444 | PAYMENT_CARD | 5555555555554444",
        "Amex 3782 822463 10005 | PAYMENT_CARD | 3782 822463 10005",
        "IBAN DE89 3704 0044 0532 0130 00 for the refund | IBAN | DE89 3704 0044 0532 0130 00",
        "GB82WEST12345698765432 | IBAN | GB82WEST12345698765432",
        "My SSN is 123-45-6789 | US_SSN | 123-45-6789",
        "social security number: 123456789 | US_SSN | 123456789",
        "from 192.168.1.20 at noon | IP_ADDRESS | 192.168.1.20",
        "Our server 172.27.0.14 returns 502 | IP_ADDRESS | 172.27.0.14",
        "host 2001:db8::8a2e:370:7334 is down | IP_ADDRESS | 2001:db8::8a2e:370:7334",
        "full 2001:0db8:85a3:0000:0000:8a2e:0370:7334 form | IP_ADDRESS | 2001:0db8:85a3:0000:0000:8a2e:0370:7334",
        "my key sk-proj-abcdefghijklmnopqrstuvwxyz123456 leaked | SECRET | sk-proj-abcdefghijklmnopqrstuvwxyz123456",
        "AWS AKIAIOSFODNN7EXAMPLE here | SECRET | AKIAIOSFODNN7EXAMPLE",
        "Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123 | SECRET | abcdefghijklmnopqrstuvwxyz0123",
        "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U ok"
                + " | SECRET | eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    })
    void findsEachType(String text, PiiType type, String value) {
        assertThat(detector.find(text)).singleElement().satisfies(f -> {
            assertThat(f.type()).isEqualTo(type);
            assertThat(f.in(text)).isEqualTo(value);
        });
    }

    /** What looks like personal data and is not: redacting it would break the question. */
    @ParameterizedTest
    @ValueSource(strings = {
        "Where is order #48213377?", "Order ORD-2024-00012345 shipped on 2024-01-15.",
        "Upgrade lodash@4.17.21 and react@18.2.0", "Mention @sluice or user@localhost", "version 1.2.3.4 fixed it",
        "v10.0.0.1 is out", "bump to 1.2.3.4.5", "999.1.1.1 is not an address", "The meeting is at 12:30:45.",
        "ISBN 978-3-16-148410-0 and ISBN 0-306-40615-2", "Card 4111 1111 1111 1112 was declined",
        "Invoice 1234 5678 9012 3456", "IBAN DE89 3704 0044 0532 0130 01 has a typo", "SSN 000-12-3456 is void",
        "666-12-3456 and 900-12-3456", "Tracking 1Z999AA10123456784", "Prices rose +15% to 2,499.00",
        "Call 911 now", "the skateboard sk-short", "Room 101, floor 3, ext. 4521", "Tel Aviv is lovely",
        "Serial 00:1A:2B:3C:4D:5E on the router", "The ratio is 3:2:1 and 16:9",
        "Our server is down", "Invoice 3976 1872 1404 2417 is overdue", "Order 0012345678 is late",
        // A gateway's request ids: a group of a UUID may start with "00" like an international number.
        "e786f92f-0036-4268-858c-a05353817ffc", "00123456-7890-4abc-8def-001234567890",
        "ref 0a1b2c3d-0044-4020-8794-609581234567 failed",
    })
    void nearMissesAreLeftAlone(String text) {
        assertThat(detector.find(text)).as(text).isEmpty();
    }

    @Test
    void overlappingCandidatesGoToTheStrongerTypeAndFindingsAreInOrder() {
        String text = "Mail jane@example.com, then +49 30 12345678 from 10.0.0.1";
        assertThat(detector.find(text)).extracting(PiiFinding::type)
                .containsExactly(PiiType.EMAIL, PiiType.PHONE, PiiType.IP_ADDRESS);
        assertThat(new PiiDetector(EnumSet.of(PiiType.PHONE)).find(text)).extracting(PiiFinding::type)
                .containsExactly(PiiType.PHONE);
    }

    /**
     * Random UUIDs are opaque: none may look like personal data, or a gateway's request would be
     * refused for its own id (and its rejection, echoed redacted, would not find its way back).
     */
    @Test
    void randomUuidsHoldNoPersonalData() {
        long seed = System.nanoTime();
        System.out.println("randomUuidsHoldNoPersonalData seed " + seed);
        java.util.Random random = new java.util.Random(seed);
        for (int i = 0; i < 200_000; i++) {
            String id = new java.util.UUID(random.nextLong(), random.nextLong()).toString();
            assertThat(detector.find(id)).as("%s (seed %d)", id, seed).isEmpty();
        }
    }

    @Test
    void checksumsAreChecked() {
        assertThat(PiiDetector.luhn("4111111111111111")).isTrue();
        assertThat(PiiDetector.luhn("4111111111111112")).isFalse();
        assertThat(PiiDetector.validIban("FR14 2004 1010 0505 0001 3M02 606")).isTrue();
        assertThat(PiiDetector.validIban("FR14 2004 1010 0505 0001 3M02 607")).isFalse();
        assertThat(PiiDetector.validSsn("078-05-1120")).isFalse();
    }

    /** Patterns must stay linear on hostile text: this would take minutes if one backtracked badly. */
    @Test
    @Timeout(30)
    void hostileTextCostsLinearTime() {
        for (String unit : List.of("1", "1-", "1 ", "a@", "a.", "+1 ", "1.", "a:", "[", "eyJ", "AB12 ")) {
            String text = unit.repeat(32_000 / unit.length());
            detector.find(text);
        }
    }

    @Test
    void placeholdersAreTypedAndStableWithinATurn() {
        PiiRedactor turn = new PiiRedactor(detector);
        var question = turn.redact("Mail jane@example.com or jane@example.com, or bob@example.org; call +44 20 7946 0958");
        assertThat(question.text()).isEqualTo("Mail [EMAIL_1] or [EMAIL_1], or [EMAIL_2]; call [PHONE_1]");
        assertThat(question.counts()).isEqualTo(Map.of(PiiType.EMAIL, 3, PiiType.PHONE, 1));
        assertThat(turn.redact("I wrote to jane@example.com").text()).isEqualTo("I wrote to [EMAIL_1]");
        assertThat(new PiiRedactor(detector).redact("bob@example.org").text()).isEqualTo("[EMAIL_1]");
        assertThat(turn.redact("nothing here").changed()).isFalse();
    }

    /**
     * Patterns skip text that lacks what their findings need (digits, "@", colons, a secret's fixed
     * prefix): on texts made of values, near-misses and their pieces, the findings are exactly those
     * of scanning with every pattern.
     */
    @Test
    void skippingPatternsThatCannotMatchFindsTheSame() {
        long seed = new java.util.Random().nextLong();
        System.out.println("PiiDetectorTest gates seed " + seed);
        java.util.Random random = new java.util.Random(seed);
        String[] pieces = {"jane.doe@example.com", "@", "user@localhost", "+44 20 7946 0958", "(555) 123-4567",
            "555.123.4567", "call me on 030 1234567", "4111 1111 1111 1111", "5555555555554444", "DE89 3704 0044 0532 0130 00",
            "GB82WEST12345698765432", "123-45-6789", "SSN 123456789", "192.168.1.20", "2001:db8::8a2e:370:7334", "::1",
            "sk-proj-abcdefghijklmnopqrstuvwxyz123456", "sk_live_abcdefghijklmnopqrstuvwx", "AKIAIOSFODNN7EXAMPLE",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "xoxb-1234567890-abc", "AIzaSyA1234567890abcdefghijklmnopqrstu",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----", "Bearer abcdefghijklmnopqrstuvwxyz0123",
            "BEARER abcdefghijklmnopqrstuvwxyz0123", "order 4111 1111 1111 1111", "version 1.2.3.4", "12:30:45",
            // Values with the fewest digits their type allows: a gate one stricter would miss them.
            "4222222222222", "+1 234 5678", "tel 03 12 345", "1.2.3.4",
            "0", "1", "7", "-", ".", ":", " ", "\n", "phone", "tel:", "sk-", "k_test_", "gh", "eyJ", "AKIA", "a", "Z"};
        PiiDetector gated = new PiiDetector();
        PiiDetector ungated = new PiiDetector(EnumSet.allOf(PiiType.class), false);
        for (int i = 0; i < 3_000; i++) {
            StringBuilder text = new StringBuilder();
            for (int p = random.nextInt(6); p >= 0; p--) {
                text.append(pieces[random.nextInt(pieces.length)]);
                if (random.nextInt(3) > 0) {
                    text.append(' ');
                }
            }
            String t = text.toString();
            assertThat(gated.find(t)).as("seed %d: %s", seed, t).isEqualTo(ungated.find(t));
            assertThat(gated.candidates(t)).as("seed %d: %s", seed, t).isEqualTo(ungated.candidates(t));
        }
    }
}
