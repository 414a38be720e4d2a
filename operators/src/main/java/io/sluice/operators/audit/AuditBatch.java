package io.sluice.operators.audit;

import io.sluice.schemas.AnsweredTurn;

import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The audit rows one sink subtask gathered between two checkpoints: the sink's committable. */
public record AuditBatch(List<AnsweredTurn> turns) {

    public AuditBatch {
        turns = List.copyOf(turns);
    }

    /** Stores batches in checkpoints with the record codec of {@link AnsweredTurn}. */
    static final class Serializer implements SimpleVersionedSerializer<AuditBatch> {

        private final AnsweredTurn.Codec codec = new AnsweredTurn.Codec();

        @Override
        public int getVersion() {
            return codec.version();
        }

        @Override
        public byte[] serialize(AuditBatch batch) throws IOException {
            DataOutputSerializer out = new DataOutputSerializer(1024);
            out.writeInt(batch.turns.size());
            for (AnsweredTurn t : batch.turns) {
                codec.write(t, out);
            }
            return out.getCopyOfBuffer();
        }

        @Override
        public AuditBatch deserialize(int version, byte[] bytes) throws IOException {
            DataInputDeserializer in = new DataInputDeserializer(bytes);
            int size = in.readInt();
            List<AnsweredTurn> turns = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                turns.add(codec.read(version, in));
            }
            return new AuditBatch(turns);
        }
    }
}
