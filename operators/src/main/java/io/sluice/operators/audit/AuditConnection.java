package io.sluice.operators.audit;

import io.sluice.schemas.Secrets;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

/**
 * Where the audit trail lives: a JDBC URL, a user, and where the password is (a file, else the
 * environment variable {@value #PASSWORD_ENV} of the process that connects). The password itself
 * is read when a connection opens and is never part of this record, which travels in job graphs.
 *
 * @param socketTimeout longest wait for the database's answer on an open connection: a database
 *     that hangs (stopped, not down) fails the call after it, and the writer tries again later
 */
public record AuditConnection(String jdbcUrl, String user, String passwordFile, Duration socketTimeout)
        implements Serializable {

    public static final String PASSWORD_ENV = "SLUICE_AUDIT_PASSWORD";

    /** The password from the environment, and the default socket timeout (60 s). */
    public AuditConnection(String jdbcUrl, String user) {
        this(jdbcUrl, user, null, Duration.ofSeconds(60));
    }

    public Connection open() throws SQLException {
        Properties props = new Properties();
        if (user != null) {
            props.setProperty("user", user);
        }
        String password = Secrets.resolve(passwordFile, PASSWORD_ENV);
        if (password != null) {
            props.setProperty("password", password);
        }
        props.setProperty("ApplicationName", "sluice-audit");
        // An unreachable database must fail fast: the writer retries later, the job keeps serving.
        props.setProperty("connectTimeout", "10");
        props.setProperty("loginTimeout", "10");
        props.setProperty("socketTimeout", Long.toString(Math.max(1, socketTimeout.toSeconds())));
        // Server error details echo the failing row's values (user text) into exceptions and logs.
        props.setProperty("logServerErrorDetail", "false");
        return DriverManager.getConnection(jdbcUrl, props);
    }

    @Override
    public String toString() {
        return "AuditConnection[" + jdbcUrl + ", user=" + user + "]";
    }
}
