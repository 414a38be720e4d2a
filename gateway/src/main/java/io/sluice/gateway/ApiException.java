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

    public ApiException(int status, String type, String code, String message) {
        this(status, type, code, message, null, null);
    }

    public ApiException(int status, String type, String code, String message, String param, String requestId) {
        super(message, null, false, false);
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

    public static ApiException invalid(String message, String param) {
        return new ApiException(400, "invalid_request_error", null, message, param, null);
    }

    public static ApiException unauthorized() {
        return new ApiException(401, "invalid_request_error", "invalid_api_key",
                "Incorrect API key provided. Create one with `sluice keys create --tenant T`.");
    }
}
