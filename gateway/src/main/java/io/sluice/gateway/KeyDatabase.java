package io.sluice.gateway;

import io.sluice.schemas.sql.Connections;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;

/**
 * The gateway's one connection to the keys database, for the lookups its {@link KeyCache} misses.
 * A connection PostgreSQL dropped (a restart, a failover, an idle timeout in a proxy) is replaced on
 * the next lookup rather than failing every lookup until the gateway restarts; lookups are rare
 * (one per key per cache TTL), so they share the connection one at a time.
 */
final class KeyDatabase implements KeyCache.Lookup, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KeyDatabase.class);

    /** Opens a connection to the keys database. */
    interface Connector {
        Connection open() throws SQLException;
    }

    private final Connector connector;
    private Connection connection;

    /** Connects and checks the schema: a gateway that cannot look keys up should not start. */
    KeyDatabase(Connector connector) throws SQLException {
        this.connector = connector;
        this.connection = connector.open();
        try {
            ApiKeys.SCHEMA.validate(connection);
        } catch (SQLException | RuntimeException e) {
            closeQuietly();
            throw e;
        }
    }

    @Override
    public synchronized Optional<String> tenantOf(String key) throws SQLException {
        if (connection == null) {
            connection = connector.open();
        }
        try {
            return ApiKeys.tenantOf(connection, key);
        } catch (SQLException e) {
            if (connection.isValid(2)) {
                throw e; // the connection is fine: a real error, not for a retry to hide
            }
            LOG.warn("The keys database connection broke ({}); reconnecting", e.toString());
            closeQuietly();
            connection = connector.open();
            return ApiKeys.tenantOf(connection, key);
        }
    }

    @Override
    public synchronized void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        Connections.closeQuietly(connection);
        connection = null;
    }
}
