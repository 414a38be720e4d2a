package io.sluice.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How long a client may take to send a request: a connection has {@code timeout} to send a whole
 * request, head and body, from when it opened or its last response ended. One that takes longer is
 * closed, after a 408 when its request had begun. Without it, a client that opens connections and
 * sends nothing, or a byte a minute, holds them for as long as it likes: Vert.x has no timeout of
 * its own for reading a request, and the answer timeout only starts once a request is in. The
 * wait for an answer is not limited here; once a request is read, nothing more is asked of the
 * client until its response ends.
 *
 * <p>Each connection's state is touched only on its own event loop; the map is shared by all.
 */
final class ReadDeadlines {

    private final Vertx vertx;
    private final long timeoutMillis;
    private final Map<HttpConnection, Connection> connections = new ConcurrentHashMap<>();

    /** What one connection is doing: its requests not yet answered, and the timer while it has none. */
    private static final class Connection {
        int open;
        long idleTimer = -1;
    }

    /** @param timeout positive ({@link Gateway.Config} checks it) */
    ReadDeadlines(Vertx vertx, Duration timeout) {
        this.vertx = vertx;
        this.timeoutMillis = timeout.toMillis();
    }

    /**
     * {@code options} for a server whose connections are watched: HTTP/1.1 only. With HTTP/2 over
     * plain TCP (h2c) on, Vert.x reads a connection's first bytes before it makes the connection
     * object, so a client that sends nothing would never start the clock. HTTP/2 through TLS
     * (ALPN) is off anyway, and the OpenAI SDKs speak HTTP/1.1 to a plain endpoint.
     */
    static HttpServerOptions http1(HttpServerOptions options) {
        return options.setHttp2ClearTextEnabled(false);
    }

    /** Starts the clock on every connection {@code server} accepts; its options must be {@link #http1}'s. */
    void watch(HttpServer server) {
        server.connectionHandler(this::opened);
    }

    private void opened(HttpConnection http) {
        Connection connection = new Connection();
        connections.put(http, connection);
        http.closeHandler(v -> {
            connections.remove(http);
            cancelIdle(connection);
        });
        armIdle(http, connection);
    }

    /**
     * A route handler, first of all: the request's head is in, so the connection's wait for one ends
     * and the request's own deadline for its body starts; its response's end starts the next wait.
     */
    void arrived(RoutingContext ctx) {
        HttpConnection http = ctx.request().connection();
        Connection connection = connections.get(http);
        if (connection == null) {
            ctx.next(); // closed meanwhile
            return;
        }
        connection.open++;
        cancelIdle(connection);
        long bodyTimer = vertx.setTimer(timeoutMillis, t -> {
            if (!ctx.request().isEnded() && !ctx.response().ended()) {
                ctx.response().setStatusCode(408).putHeader("Connection", "close")
                        .putHeader("Content-Type", "application/json")
                        .end(OpenAiWire.error(new ApiException(408, "invalid_request_error", "request_timeout",
                                "The request was not sent whole within " + timeoutMillis + " ms.")))
                        .onComplete(ar -> http.close());
            }
        });
        ctx.addEndHandler(end -> {
            vertx.cancelTimer(bodyTimer);
            if (--connection.open == 0 && connections.containsKey(http)) {
                armIdle(http, connection);
            }
        });
        ctx.next();
    }

    /** Connections open now (for tests: a closed one is forgotten). */
    int open() {
        return connections.size();
    }

    private void armIdle(HttpConnection http, Connection connection) {
        connection.idleTimer = vertx.setTimer(timeoutMillis, t -> {
            connection.idleTimer = -1;
            http.close();
        });
    }

    private void cancelIdle(Connection connection) {
        if (connection.idleTimer >= 0) {
            vertx.cancelTimer(connection.idleTimer);
            connection.idleTimer = -1;
        }
    }
}
