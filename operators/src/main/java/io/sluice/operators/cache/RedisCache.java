package io.sluice.operators.cache;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One Lettuce connection to one Redis, shared by the subtasks of a TaskManager (Lettuce connections
 * are thread-safe and pipeline commands). It connects on first use, and after a failure waits
 * {@link #RETRY_AFTER} before trying again, so a Redis that is away costs a cache lookup nothing
 * but a miss; once connected, Lettuce reconnects by itself. Commands time out after
 * {@code timeout}.
 */
public final class RedisCache implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisCache.class);

    /** How long a failed connection attempt keeps the cache off before the next one. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(5);

    private final String uri;
    private final Duration timeout;
    private RedisClient client;
    private StatefulRedisConnection<byte[], byte[]> connection;
    private long retryAtNanos;

    public RedisCache(String uri, Duration timeout) {
        this.uri = uri;
        this.timeout = timeout;
    }

    /** The commands of the connection, or null while Redis cannot be reached. */
    public synchronized RedisAsyncCommands<byte[], byte[]> commands() {
        if (connection != null) {
            return connection.async();
        }
        if (System.nanoTime() < retryAtNanos) {
            return null;
        }
        try {
            if (client == null) {
                client = RedisClient.create(RedisURI.create(uri));
                client.setOptions(ClientOptions.builder()
                        .socketOptions(SocketOptions.builder().connectTimeout(timeout.multipliedBy(4)).build())
                        .timeoutOptions(TimeoutOptions.enabled(timeout))
                        // While disconnected, fail at once instead of queueing: a cache must not make a turn wait.
                        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                        .build());
            }
            connection = client.connect(ByteArrayCodec.INSTANCE);
            LOG.info("Connected to Redis at {}", uri);
            return connection.async();
        } catch (RuntimeException e) {
            retryAtNanos = System.nanoTime() + RETRY_AFTER.toNanos();
            LOG.warn("Redis at {} cannot be reached ({}); caches miss until it can, next try in {} s", uri,
                    e.getMessage(), RETRY_AFTER.toSeconds());
            return null;
        }
    }

    public Duration timeout() {
        return timeout;
    }

    /**
     * The value under {@code key}, or null when there is none or the cache cannot answer: Redis away,
     * the command failed or outlasted the timeout (each counted in {@code stats} as an error).
     * Never completes exceptionally, and nobody waits on Redis for it.
     */
    public CompletableFuture<byte[]> get(byte[] key, CacheStats stats) {
        RedisAsyncCommands<byte[], byte[]> commands = commands();
        if (commands == null) {
            stats.error();
            return CompletableFuture.completedFuture(null);
        }
        return commands.get(key).toCompletableFuture().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .handle((value, error) -> {
                    if (error != null) {
                        stats.error();
                        return null;
                    }
                    return value;
                });
    }

    /** Stores {@code value} under {@code key} for {@code ttl}, not waited for; a failure counts in {@code stats}. */
    public void put(byte[] key, byte[] value, Duration ttl, CacheStats stats) {
        RedisAsyncCommands<byte[], byte[]> commands = commands();
        if (commands != null) {
            commands.psetex(key, ttl.toMillis(), value).exceptionally(e -> {
                stats.error();
                return null;
            });
        }
    }

    @Override
    public synchronized void close() {
        if (connection != null) {
            connection.close();
        }
        if (client != null) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }
}
