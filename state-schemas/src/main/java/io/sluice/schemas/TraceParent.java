package io.sluice.schemas;

/**
 * W3C Trace Context's {@code traceparent} value ({@code 00-<trace id>-<parent id>-<flags>}, lower-case
 * hex), as it travels from the HTTP request through a Kafka header into the request record. A value
 * that does not follow the specification is ignored, never rejected: it is the caller's correlation
 * aid, not part of the request, and the specification says to start a new trace then.
 */
public final class TraceParent {

    /** The header's name, on HTTP requests and on {@code chat.requests} records alike. */
    public static final String HEADER = "traceparent";

    private static final int TRACE_ID_HEX = 32;
    private static final int SPAN_ID_HEX = 16;
    /** {@code 00-} + trace id + {@code -} + parent id + {@code -} + flags. */
    private static final int LENGTH = 3 + TRACE_ID_HEX + 1 + SPAN_ID_HEX + 3;

    private TraceParent() {}

    /**
     * The value as version 00 writes it, or null when {@code header} is not a valid traceparent: a
     * version other than {@code ff}, an all-zero trace or parent id, anything but lower-case hex, or a
     * version 00 value with more after the flags. Later versions may append fields; only the four
     * known ones are kept.
     */
    public static String valid(String header) {
        if (header == null || header.length() < LENGTH) {
            return null;
        }
        String version = header.substring(0, 2);
        if (!hex(version) || version.equals("ff") || header.charAt(2) != '-'
                || header.charAt(3 + TRACE_ID_HEX) != '-' || header.charAt(4 + TRACE_ID_HEX + SPAN_ID_HEX) != '-') {
            return null;
        }
        if (version.equals("00") ? header.length() != LENGTH : header.length() > LENGTH && header.charAt(LENGTH) != '-') {
            return null;
        }
        String traceId = header.substring(3, 3 + TRACE_ID_HEX);
        String spanId = header.substring(4 + TRACE_ID_HEX, 4 + TRACE_ID_HEX + SPAN_ID_HEX);
        String flags = header.substring(LENGTH - 2, LENGTH);
        if (!hex(traceId) || !hex(spanId) || !hex(flags) || zero(traceId) || zero(spanId)) {
            return null;
        }
        return "00-" + traceId + "-" + spanId + "-" + flags;
    }

    /** The traceparent of span {@code spanId} of trace {@code traceId}. */
    public static String of(String traceId, String spanId, boolean sampled) {
        String value = "00-" + traceId + "-" + spanId + (sampled ? "-01" : "-00");
        if (valid(value) == null) {
            throw new IllegalArgumentException("not a trace and span id: " + traceId + ", " + spanId);
        }
        return value;
    }

    /** The trace id of a valid traceparent. */
    public static String traceId(String traceParent) {
        return traceParent.substring(3, 3 + TRACE_ID_HEX);
    }

    /** The parent (span) id of a valid traceparent. */
    public static String spanId(String traceParent) {
        return traceParent.substring(4 + TRACE_ID_HEX, 4 + TRACE_ID_HEX + SPAN_ID_HEX);
    }

    /** Whether the caller sampled the trace (flag bit 0). */
    public static boolean sampled(String traceParent) {
        return (Integer.parseInt(traceParent.substring(LENGTH - 2), 16) & 1) == 1;
    }

    /**
     * The trace id of a request that came without a traceparent: derived from its position in
     * {@code chat.requests}, so the live job and a replay of the same record agree, and anyone can
     * find a record's trace from where it was read.
     */
    public static String derivedTraceId(int partition, long offset) {
        return Hashing.sha256Hex("sluice-trace:" + partition + ":" + offset).substring(0, TRACE_ID_HEX);
    }

    private static boolean hex(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static boolean zero(String s) {
        return s.chars().allMatch(c -> c == '0');
    }
}
