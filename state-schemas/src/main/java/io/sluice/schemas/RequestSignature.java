package io.sluice.schemas;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signature a trusted producer (Sluice's HTTP gateway) puts on a {@code chat.requests} record:
 * HMAC-SHA256, with a key it shares with the serving job, over the record's reply partition and its
 * payload bytes, hex-encoded in the Kafka header {@link #HEADER}. The payload holds the tenant the
 * producer authenticated, so a signed record cannot be moved to another tenant or another reply
 * partition; with {@code sluice.gateway.require-signature} the job answers only signed records.
 */
public final class RequestSignature {

    /** The Kafka header of the signature. */
    public static final String HEADER = "sluice-signature";

    /** The Kafka header naming the partition of the replies topic the answer goes to. */
    public static final String REPLY_PARTITION_HEADER = "sluice-reply-partition";

    /** Where the key is read from when no key file is configured. */
    public static final String KEY_ENV = "SLUICE_SIGNING_KEY";

    /**
     * The shortest key accepted: HMAC-SHA256's output length (RFC 2104 advises no shorter), so a
     * key cannot be guessed more easily than a signature can be forged.
     */
    public static final int MIN_KEY_BYTES = 32;

    private static final String ALGORITHM = "HmacSHA256";

    private RequestSignature() {}

    /**
     * The shared key from {@code keyFile} (trimmed), else from {@link #KEY_ENV}; null when neither
     * is set. A key shorter than {@link #MIN_KEY_BYTES} bytes is refused, with how to make one.
     */
    public static byte[] readKey(String keyFile) {
        String key = Secrets.resolve(keyFile, KEY_ENV);
        if (key == null) {
            return null;
        }
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("The signing key (" + (keyFile == null || keyFile.isBlank()
                    ? KEY_ENV : keyFile) + ") is " + bytes.length + " bytes; it must be at least " + MIN_KEY_BYTES
                    + ", for example the output of `openssl rand -hex 32`");
        }
        return bytes;
    }

    /** The signature of {@code payload} bound for {@code replyPartition} (-1: none) under {@code key}. */
    public static String sign(byte[] key, int replyPartition, byte[] payload) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
            mac.update(Integer.toString(replyPartition).getBytes(StandardCharsets.US_ASCII));
            mac.update((byte) '\n');
            if (payload != null) {
                mac.update(payload);
            }
            return HexFormat.of().formatHex(mac.doFinal());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required by the JDK spec", e);
        }
    }

    /** Whether {@code signature} is right, compared in constant time. */
    public static boolean verify(byte[] key, int replyPartition, byte[] payload, String signature) {
        if (signature == null) {
            return false;
        }
        byte[] expected = sign(key, replyPartition, payload).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.US_ASCII));
    }
}
