package io.sluice.schemas.sql;

import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Login roles that a process connects as, each a member of one group role a migration created with
 * the narrowest grants that process needs (the serving job's {@code sluice_audit_writer}, the
 * gateway's {@code sluice_key_reader}). Run as the schema owner.
 */
public final class LoginRoles {

    private LoginRoles() {}

    /**
     * Creates the login role {@code login} with {@code password} as a member of {@code group}, or, if
     * it exists, sets its password and makes it a member; in one transaction. Names and the password
     * are quoted by PostgreSQL ({@code format} with %I and %L), never spliced into SQL here.
     */
    public static void grantMembership(Connection connection, String login, String password, String group)
            throws SQLException {
        Connections.inTransaction(connection, () -> {
            boolean exists;
            try (PreparedStatement ps = connection.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
                ps.setString(1, login);
                try (ResultSet rs = ps.executeQuery()) {
                    exists = rs.next();
                }
            }
            try (Statement st = connection.createStatement()) {
                st.execute(quoted(connection, exists ? "ALTER ROLE %I LOGIN PASSWORD %L"
                        : "CREATE ROLE %I LOGIN PASSWORD %L", login, password));
                st.execute(quoted(connection, "GRANT %I TO %I", group, login));
            }
            return null;
        });
        LoggerFactory.getLogger(LoginRoles.class).info("Login role {} can log in as a member of {}", login, group);
    }

    /** {@code template} with its %I and %L filled in by PostgreSQL's {@code format}. */
    private static String quoted(Connection connection, String template, String first, String second)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT format(?, ?::text, ?::text)")) {
            ps.setString(1, template);
            ps.setString(2, first);
            ps.setString(3, second);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}
