package io.sluice.schemas.tenants;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * A new version of one tenant's limits, published on {@code chat.tenant-limits} while the job runs:
 * from event time {@code effectiveAt} on, the tenant's requests are held to {@code limits} instead
 * of the tenants file's (among the updates in effect at a request's event time, the highest
 * {@code version} wins). {@code limits} is the JSON object of the tenants file's limit fields, kept
 * as text so that the record stays what was published; {@link #limits()} parses it.
 *
 * <p>On the topic: {@code {"tenantId": "acme", "version": 7, "effectiveAt": "2026-12-02T12:00:00Z",
 * "limits": {"rateLimit": {"requestsPerMinute": 600, "burst": 60}, "tokenBudget": {...}}}}; limits
 * left out are not limited (an update replaces the tenant's limits whole).
 */
public record LimitsUpdate(String tenantId, long version, long effectiveAt, String limitsJson) {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    public static final TypeInformation<LimitsUpdate> TYPE = new RecordTypeInfo<>(new Codec());

    public LimitsUpdate {
        if (tenantId == null || tenantId.isBlank()) {
            throw new IllegalArgumentException("a limits update needs a 'tenantId'");
        }
        if (version < 1) {
            throw new IllegalArgumentException("'version' must be a whole number of at least 1");
        }
        if (effectiveAt < 0) {
            throw new IllegalArgumentException("'effectiveAt' must not be before 1970");
        }
    }

    /** The limits this update sets (parsed again on each call: callers keep what they need). */
    public Limits limits() {
        return limitsOf(limitsJson);
    }

    /** The limits in {@code json}, the text of an update's {@code limits}. */
    public static Limits limitsOf(String json) {
        try {
            return TenantRegistry.parseLimits(MAPPER.readTree(json));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("'limits' is not JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The update in {@code json} (its topic form), checked whole: a clear message says what is wrong. */
    public static LimitsUpdate parse(String json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("a limits update is a JSON object");
        }
        JsonNode version = root.get("version");
        if (version == null || !version.canConvertToExactIntegral() || !version.canConvertToLong()) {
            throw new IllegalArgumentException("'version' must be a whole number");
        }
        long effectiveAt;
        try {
            effectiveAt = Instant.parse(root.path("effectiveAt").asText("")).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'effectiveAt' must be an ISO-8601 instant such as "
                    + "2026-12-02T12:00:00Z", e);
        }
        JsonNode limits = root.get("limits");
        TenantRegistry.parseLimits(limits); // refuses what the stage could not apply
        return new LimitsUpdate(root.path("tenantId").asText(null), version.longValue(), effectiveAt,
                limits.toString());
    }

    /** The topic form. */
    public String toJson() {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("tenantId", tenantId).put("version", version).put("effectiveAt",
                Instant.ofEpochMilli(effectiveAt).toString());
        try {
            root.set("limits", MAPPER.readTree(limitsJson));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return root.toString();
    }

    /** Version 1. */
    public static final class Codec implements RecordCodec<LimitsUpdate> {
        @Override
        public int version() {
            return 1;
        }

        @Override
        public Class<LimitsUpdate> typeClass() {
            return LimitsUpdate.class;
        }

        @Override
        public void write(LimitsUpdate v, DataOutputView out) throws IOException {
            Fields.writeString(out, v.tenantId);
            out.writeLong(v.version);
            out.writeLong(v.effectiveAt);
            Fields.writeString(out, v.limitsJson);
        }

        @Override
        public LimitsUpdate read(int version, DataInputView in) throws IOException {
            return new LimitsUpdate(Fields.readString(in), in.readLong(), in.readLong(), Fields.readString(in));
        }
    }
}
