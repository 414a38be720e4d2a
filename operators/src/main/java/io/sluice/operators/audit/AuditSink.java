package io.sluice.operators.audit;

import io.sluice.schemas.AnsweredTurn;

import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Exactly-once audit sink: rows become visible only for completed checkpoints.
 *
 * <p>The writer buffers the turns of the current checkpoint interval; at the checkpoint barrier
 * they become one {@link AuditBatch} committable, which Flink stores in the checkpoint. Once the
 * checkpoint completes, the committer inserts the batch in one transaction, with
 * {@code ON CONFLICT (request_id) DO NOTHING}. Failure cases: a failure before the checkpoint drops
 * the buffer, and the source re-reads those requests, which are answered again identically; a
 * failure after the checkpoint but before or during the commit makes Flink re-commit the stored
 * batch on recovery, and the idempotent insert keeps one row per request. A commit that fails
 * because PostgreSQL is unreachable is retried later; the job keeps serving.
 */
public final class AuditSink implements Sink<AnsweredTurn>, SupportsCommitter<AuditBatch> {

    private static final long serialVersionUID = 1L;

    private final AuditConnection connection;

    public AuditSink(AuditConnection connection) {
        this.connection = connection;
    }

    @Override
    public SinkWriter<AnsweredTurn> createWriter(WriterInitContext context) {
        return new Writer();
    }

    @Override
    public Committer<AuditBatch> createCommitter(CommitterInitContext context) {
        return new AuditCommitter(connection);
    }

    @Override
    public SimpleVersionedSerializer<AuditBatch> getCommittableSerializer() {
        return new AuditBatch.Serializer();
    }

    private static final class Writer implements CommittingSinkWriter<AnsweredTurn, AuditBatch> {
        private List<AnsweredTurn> pending = new ArrayList<>();

        @Override
        public void write(AnsweredTurn turn, Context context) {
            pending.add(turn);
        }

        @Override
        public void flush(boolean endOfInput) {}

        @Override
        public Collection<AuditBatch> prepareCommit() {
            if (pending.isEmpty()) {
                return List.of();
            }
            AuditBatch batch = new AuditBatch(pending);
            pending = new ArrayList<>();
            return List.of(batch);
        }

        @Override
        public void close() {}
    }

    static final class AuditCommitter implements Committer<AuditBatch> {
        private static final Logger LOG = LoggerFactory.getLogger(AuditCommitter.class);

        private final AuditConnection target;
        private Connection connection;

        AuditCommitter(AuditConnection target) {
            this.target = target;
        }

        @Override
        public void commit(Collection<CommitRequest<AuditBatch>> requests) {
            for (CommitRequest<AuditBatch> request : requests) {
                try {
                    AuditStore.insert(connection(), request.getCommittable().turns());
                } catch (SQLException e) {
                    LOG.warn("Audit commit of {} rows failed (attempt {}), will retry: {}",
                            request.getCommittable().turns().size(), request.getNumberOfRetries() + 1,
                            e.getMessage());
                    closeQuietly();
                    request.retryLater();
                }
            }
        }

        private Connection connection() throws SQLException {
            if (connection == null || !connection.isValid(5)) {
                closeQuietly();
                connection = target.open();
                AuditStore.createSchema(connection);
            }
            return connection;
        }

        private void closeQuietly() {
            if (connection != null) {
                try {
                    connection.close();
                } catch (SQLException ignored) {
                    // The connection is being replaced; its close failing changes nothing.
                }
                connection = null;
            }
        }

        @Override
        public void close() {
            closeQuietly();
        }
    }
}
