package io.sluice.schemas.sql;

import java.sql.Connection;
import java.sql.SQLException;

/** Small JDBC helpers shared by the processes that keep a connection open for long. */
public final class Connections {

    private Connections() {}

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
