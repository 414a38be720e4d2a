package io.sluice.cli;

import io.sluice.jobs.backfill.Backfill;
import io.sluice.jobs.config.ServingOptions;
import io.sluice.local.LocalStack;
import io.sluice.local.fuzz.FuzzCorpus;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.RuntimeOptions;
import io.sluice.operators.chunk.ChunkerSettings;

import org.apache.flink.configuration.Configuration;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

/** The serving job the gauntlet runs against: the fuzz corpus backfilled, both tenants configured. */
public final class FuzzServing {

    /** The tenants' message limit in the gauntlet (sizes are generated at and past it). */
    public static final int MAX_MESSAGE_CHARS = 8_000;

    private FuzzServing() {}

    /**
     * Backfills {@link FuzzCorpus} under {@code work} and returns the serving settings for
     * {@code stack}; with {@code remoteBaseUrl} (may be null) the answer model {@code remote} is an
     * OpenAI-compatible server there serving the model {@code echo}.
     */
    public static Configuration configuration(LocalStack stack, Path work, String remoteBaseUrl) throws Exception {
        Path index = work.resolve("index");
        new Backfill(new Backfill.Settings(FuzzCorpus.write(work.resolve("docs")), index, FuzzCorpus.TENANTS.get(0),
                ChunkerSettings.DEFAULT, EmbeddingModels.DEFAULT, 8, RuntimeOptions.cpu(1), 1),
                new PrintWriter(new StringWriter())).run();
        Configuration conf = stack.servingConfig(index);
        conf.set(ServingOptions.TENANTS_FILE,
                FuzzCorpus.writeTenants(work.resolve("tenants.json"), MAX_MESSAGE_CHARS).toString());
        if (remoteBaseUrl != null) {
            conf.set(ServingOptions.ANSWER_REMOTE_BASE_URL, remoteBaseUrl);
            conf.set(ServingOptions.ANSWER_REMOTE_MODEL, "echo");
        }
        return conf;
    }
}
