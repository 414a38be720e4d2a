package io.sluice.operators.audit;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** Where the audit trail lives: a JDBC URL and credentials. */
public record AuditConnection(String jdbcUrl, String user, String password) implements Serializable {

    public Connection open() throws SQLException {
        Properties props = new Properties();
        if (user != null) {
            props.setProperty("user", user);
        }
        if (password != null) {
            props.setProperty("password", password);
        }
        props.setProperty("ApplicationName", "sluice-audit");
        // An unreachable database must fail fast: the writer retries later, the job keeps serving.
        props.setProperty("connectTimeout", "10");
        props.setProperty("loginTimeout", "10");
        props.setProperty("socketTimeout", "60");
        return DriverManager.getConnection(jdbcUrl, props);
    }

    @Override
    public String toString() {
        return "AuditConnection[" + jdbcUrl + ", user=" + user + "]";
    }
}
