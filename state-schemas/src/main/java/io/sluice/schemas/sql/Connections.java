package io.sluice.schemas.sql;

import java.sql.Connection;
import java.sql.SQLException;

/** Small JDBC helpers shared by the audit trail, the schema migrations and the gateway's keys. */
public final class Connections {

    /** Work on a connection that may fail with an {@link SQLException}. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws SQLException;
    }

    private Connections() {}

    /**
     * Runs {@code work} in one transaction: committed if it returns, rolled back if it throws; the
     * connection's auto-commit is as it was afterwards.
     */
    public static <T> T inTransaction(Connection connection, Work<T> work) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try {
            T result = work.run();
            connection.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    /**
     * Closes {@code connection} (if any), ignoring a failure: it is being replaced or its owner is
     * stopping, and a connection that fails to close changes neither.
     */
    public static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // see above
            }
        }
    }
}
