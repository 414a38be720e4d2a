package io.sluice.schemas;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class BoundsTest {

    @Test
    void cutKeepsTheStartAndNamesTheOriginal() {
        String original = "a".repeat(10_000);
        String cut = Bounds.cut(original, 200);
        assertThat(cut).hasSize(200).startsWith("aaaa")
                .endsWith("…[cut: 10000 chars, sha256 " + Hashing.sha256Hex(original) + "]");
        assertThat(Bounds.isCut(cut)).isTrue();
        assertThat(Bounds.cut("short", 200)).isEqualTo("short");
        assertThat(Bounds.cut(null, 200)).isNull();
    }

    @Test
    void cutNeverSplitsASurrogatePair() {
        String emoji = "\uD83D\uDE00";
        String original = emoji.repeat(5_000);
        String cut = Bounds.cut(original, 150);
        String kept = cut.substring(0, cut.indexOf('…'));
        assertThat(kept.length() % 2).isZero();
        assertThat(kept.codePoints().allMatch(c -> c == 0x1F600)).isTrue();
    }

    @Test
    void echoShowsRawBytesWithTheirLengthAndHash() {
        byte[] bytes = ("{\"message\":\"" + "x".repeat(50_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        String echo = Bounds.echo(bytes, 300);
        assertThat(echo).hasSizeLessThanOrEqualTo(300).startsWith("{\"message\":\"xxx").contains(bytes.length + " bytes");
        byte[] bad = {(byte) 0xC3, 0x28, 'o', 'k'};
        assertThat(Bounds.echo(bad, 300)).startsWith("\uFFFD(ok…[4 bytes, sha256 ");
    }
}
