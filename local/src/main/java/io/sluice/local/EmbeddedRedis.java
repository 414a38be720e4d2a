package io.sluice.local;

import redis.embedded.RedisServer;

import java.io.IOException;
import java.net.ServerSocket;

/**
 * A real redis-server 7 for the local stack and tests, from the binaries the
 * {@code org.signal:embedded-redis} artifact ships: bound to the loopback interface on a free port,
 * without persistence (a cache), stopped on close.
 */
public final class EmbeddedRedis implements AutoCloseable {

    private final RedisServer server;
    private final int port;

    private EmbeddedRedis(RedisServer server, int port) {
        this.server = server;
        this.port = port;
    }

    public static EmbeddedRedis start() throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        RedisServer server = RedisServer.builder().port(port).bind("127.0.0.1")
                .setting("save \"\"").setting("appendonly no").setting("maxmemory 256mb")
                .setting("maxmemory-policy allkeys-lru").build();
        server.start();
        return new EmbeddedRedis(server, port);
    }

    /** The URI clients connect with: {@code redis://127.0.0.1:<port>}. */
    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        server.stop();
    }
}
