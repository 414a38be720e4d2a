package io.sluice.gateway;

import io.sluice.schemas.Hashing;
import io.sluice.schemas.sql.LoginRoles;
import io.sluice.schemas.sql.SchemaMigrations;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * API keys in PostgreSQL ({@code sluice_api_keys}, next to the audit trail, with migrations of its
 * own): each names one tenant. A key is {@code sk-sluice-<id>-<secret>}; only its SHA-256 is stored,
 * and the id (its public prefix) identifies it in listings and revocations. Revoking takes effect
 * for every gateway within its cache's time to live, without a restart.
 */
public final class ApiKeys {

    public static final SchemaMigrations SCHEMA = new SchemaMigrations("API key", "sluice_key_migrations",
            0x736c756963654bL, ApiKeys.class, List.of("V1__api_keys.sql", "V2__key_reader.sql"), "sluice keys migrate");

    /** The group role of gateways' logins, created by V2: SELECT on the keys and their migrations only. */
    public static final String READER_GROUP = "sluice_key_reader";

    private static final Pattern KEY = Pattern.compile("sk-sluice-([0-9a-f]{12})-([0-9a-f]{40})");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A key as listed: never the key itself. */
    public record KeyInfo(String keyId, String tenantId, String label, Instant createdAt, Instant revokedAt) {
        public boolean revoked() {
            return revokedAt != null;
        }
    }

    /** A key just created: the only time its full text exists outside the caller. */
    public record CreatedKey(String keyId, String tenantId, String key) {}

    private ApiKeys() {}

    /**
     * Creates (or updates) the login role {@code login} with {@code password} as a member of
     * {@link #READER_GROUP}: what a gateway connects as, able to look keys up and nothing more.
     */
    public static void grantReader(Connection connection, String login, String password) throws SQLException {
        LoginRoles.grantMembership(connection, login, password, READER_GROUP);
    }

    /** Creates a key for {@code tenantId}; the returned text is shown once and stored only as a hash. */
    public static CreatedKey create(Connection connection, String tenantId, String label) throws SQLException {
        byte[] secret = new byte[20];
        RANDOM.nextBytes(secret);
        String keyId = newKeyId(RANDOM);
        String key = "sk-sluice-" + keyId + "-" + HexFormat.of().formatHex(secret);
        try (PreparedStatement ps = connection.prepareStatement(
                "INSERT INTO sluice_api_keys (key_id, tenant_id, key_hash, label) VALUES (?, ?, ?, ?)")) {
            ps.setString(1, keyId);
            ps.setString(2, tenantId);
            ps.setString(3, Hashing.sha256Hex(key));
            ps.setString(4, label == null ? "" : label);
            ps.executeUpdate();
        }
        return new CreatedKey(keyId, tenantId, key);
    }

    /**
     * A new key id: 12 hex digits, the first a letter. The job's PII guard checks every id a request
     * carries, and an id of random hex digits that began "00" and went on in digits (one in some 7,400)
     * read as an international phone number, so every request with that key was refused by tenants
     * whose PII policy is not to allow; an id that begins with a letter is one word that starts with
     * one, which no detector of numbers takes for a number.
     */
    static String newKeyId(java.util.Random random) {
        byte[] id = new byte[6];
        random.nextBytes(id);
        id[0] = (byte) (((10 + random.nextInt(6)) << 4) | (id[0] & 0x0f));
        return HexFormat.of().formatHex(id);
    }

    /** Every key, or every key of {@code tenantId} (null: all), oldest first. */
    public static List<KeyInfo> list(Connection connection, String tenantId) throws SQLException {
        List<KeyInfo> keys = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT key_id, tenant_id, label, created_at, "
                + "revoked_at FROM sluice_api_keys WHERE (? IS NULL OR tenant_id = ?) ORDER BY created_at, key_id")) {
            ps.setString(1, tenantId);
            ps.setString(2, tenantId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Timestamp revoked = rs.getTimestamp(5);
                    keys.add(new KeyInfo(rs.getString(1), rs.getString(2), rs.getString(3),
                            rs.getTimestamp(4).toInstant(), revoked == null ? null : revoked.toInstant()));
                }
            }
        }
        return keys;
    }

    /** Revokes the key {@code keyId} (its id, or the whole key); returns whether a live key was revoked. */
    public static boolean revoke(Connection connection, String keyId) throws SQLException {
        String idOfWhole = keyIdOf(keyId);
        try (PreparedStatement ps = connection.prepareStatement(
                "UPDATE sluice_api_keys SET revoked_at = now() WHERE key_id = ? AND revoked_at IS NULL")) {
            ps.setString(1, idOfWhole != null ? idOfWhole : keyId);
            return ps.executeUpdate() > 0;
        }
    }

    /** The id part of a key shaped like Sluice's ({@code sk-sluice-<id>-<secret>}), else null. */
    public static String keyIdOf(String presented) {
        Matcher m = presented == null ? null : KEY.matcher(presented);
        return m != null && m.matches() ? m.group(1) : null;
    }

    /** The tenant of a presented key, if it is a live key (compared by hash, in constant time). */
    public static Optional<String> tenantOf(Connection connection, String presented) throws SQLException {
        String keyId = keyIdOf(presented);
        if (keyId == null) {
            return Optional.empty();
        }
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT tenant_id, key_hash FROM sluice_api_keys WHERE key_id = ? AND revoked_at IS NULL")) {
            ps.setString(1, keyId);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && MessageDigest.isEqual(rs.getString(2).getBytes(StandardCharsets.US_ASCII),
                        Hashing.sha256Hex(presented).getBytes(StandardCharsets.US_ASCII))) {
                    return Optional.of(rs.getString(1));
                }
            }
        }
        return Optional.empty();
    }
}
