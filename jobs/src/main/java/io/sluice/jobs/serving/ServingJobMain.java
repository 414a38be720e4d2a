package io.sluice.jobs.serving;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.util.HashMap;
import java.util.Map;

/**
 * Entry point of the shaded job jar: {@code flink run sluice-jobs-<version>-job.jar --sluice.index.dir
 * /data/index --sluice.audit.jdbc-url jdbc:postgresql://...}. Settings come from the cluster's
 * config.yaml, overridden by {@code --key value} arguments.
 */
public final class ServingJobMain {

    private ServingJobMain() {}

    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        Configuration conf = Configuration.fromMap(env.getConfiguration().toMap());
        conf.addAll(Configuration.fromMap(parseArgs(args)));
        ServingJob job = ServingJob.fromConfiguration(conf);
        job.build(env);
        env.execute("sluice-serving (snapshot " + job.settings().snapshotId() + ")");
    }

    static Map<String, String> parseArgs(String[] args) {
        Map<String, String> map = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("Expected --key value, got '" + arg + "'");
            }
            String key = arg.substring(2);
            int eq = key.indexOf('=');
            if (eq > 0) {
                map.put(key.substring(0, eq), key.substring(eq + 1));
            } else if (i + 1 < args.length) {
                map.put(key, args[++i]);
            } else {
                throw new IllegalArgumentException("Missing value for --" + key);
            }
        }
        return map;
    }
}
