package io.sluice.gateway;

/**
 * An error in OpenAI's shape: an HTTP status and {@code {"error": {"message", "type", "code",
 * "param"}}}, which OpenAI's SDKs turn into their typed exceptions.
 */
public final class ApiException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String type;
    private final String code;
    private final String param;
    private final String requestId;
    private final long retryAfterSeconds;

    public ApiException(int status, String type, String code, String message) {
        this(status, type, code, message, null, null);
    }

    public ApiException(int status, String type, String code, String message, String param, String requestId) {
        this(status, type, code, message, param, requestId, 0);
    }

    private ApiException(int status, String type, String code, String message, String param, String requestId,
            long retryAfterSeconds) {
        super(message, null, false, false);
        this.retryAfterSeconds = retryAfterSeconds;
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
        this.requestId = requestId;
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String code() {
        return code;
    }

    public String param() {
        return param;
    }

    /** The request id, where the request reached the job (a client may fetch its answer later). */
    public String requestId() {
        return requestId;
    }

    /**
     * The same error, telling the client to wait {@code millis} before trying again: whole seconds,
     * rounded up, at least one (HTTP's {@code Retry-After} has no finer unit).
     */
    public ApiException retryingAfter(long millis) {
        return new ApiException(status, type, code, getMessage(), param, requestId, Math.max(1, (millis + 999) / 1000));
    }

    /** Seconds a client should wait before trying again; 0 when the error names none. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public static ApiException invalid(String message, String param) {
        return new ApiException(400, "invalid_request_error", null, message, param, null);
    }

    /** A 503 for load the instance sheds: the client may try again in a second. */
    public static ApiException busy(String code, String message) {
        return new ApiException(503, "api_error", code, message).retryingAfter(1_000);
    }

    public static ApiException unauthorized() {
        return new ApiException(401, "invalid_request_error", "invalid_api_key",
                "Incorrect API key provided. Create one with `sluice keys create --tenant T`.");
    }
}
