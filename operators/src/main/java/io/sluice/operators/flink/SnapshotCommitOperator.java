package io.sluice.operators.flink;

import io.sluice.operators.index.LivePromotion;
import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SnapshotManifest;

import com.fasterxml.jackson.databind.ObjectMapper;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The last stage of live ingestion (one subtask): a thin adapter over {@link LivePromotion}, fed the
 * lines the index tasks emit ({@link #builtLine}, {@link #cutLine}). Emits the id of each snapshot it
 * promotes. Its state is the latest build of every shard, so a restored job makes whole snapshots
 * from the start.
 */
public final class SnapshotCommitOperator extends AbstractStreamOperator<String>
        implements OneInputStreamOperator<String, String> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotCommitOperator.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String indexDir;
    private final LivePromotion.Settings settings;

    private transient ListState<String> shardState;
    private transient LivePromotion promotion;

    public SnapshotCommitOperator(String indexDir, LivePromotion.Settings settings) {
        this.indexDir = indexDir;
        this.settings = settings;
    }

    static String builtLine(long checkpoint, String shardJson) {
        return "built " + checkpoint + " " + shardJson;
    }

    static String cutLine(long checkpoint, int subtask) {
        return "cut " + checkpoint + " " + subtask;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        shardState = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("shards", Types.STRING));
        List<SnapshotManifest.Shard> restored = new ArrayList<>();
        for (String json : shardState.get()) {
            restored.add(JSON.readValue(json, SnapshotManifest.Shard.class));
        }
        promotion = new LivePromotion(settings, new IndexStore(Path.of(indexDir)), restored);
    }

    @Override
    public void processElement(StreamRecord<String> element) throws Exception {
        String[] parts = element.getValue().split(" ", 3);
        long checkpoint = Long.parseLong(parts[1]);
        if (parts[0].equals("built")) {
            promotion.built(JSON.readValue(parts[2], SnapshotManifest.Shard.class));
            return;
        }
        LivePromotion.Cut cut = promotion.cut(checkpoint, Integer.parseInt(parts[2]));
        switch (cut.status()) {
            case PROMOTED -> {
                LOG.info("Live ingestion promoted snapshot {} at checkpoint {}", cut.snapshotId(), checkpoint);
                output.collect(new StreamRecord<>(cut.snapshotId()));
            }
            case SHARDS_MISSING -> LOG.info("Checkpoint {}: {} of {} shards built; no snapshot yet", checkpoint,
                    promotion.shards().size(), settings.shardCount());
            default -> {
                // waiting for other index tasks, nothing indexed yet, or nothing changed
            }
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        List<String> json = new ArrayList<>();
        for (SnapshotManifest.Shard s : promotion.shards()) {
            json.add(JSON.writeValueAsString(s));
        }
        shardState.update(json);
    }
}
