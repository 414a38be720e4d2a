package io.sluice.jobs.config;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.util.HashMap;
import java.util.Map;

/**
 * The settings of a job submitted with {@code flink run}: the cluster's configuration (config.yaml
 * and the client's options, such as {@code -p}), overridden by the program's {@code --key value}
 * (or {@code --key=value}) arguments. Every entry point of the job jar reads them the same way.
 */
public final class JobArguments {

    private JobArguments() {}

    /** The configuration of {@code env} with {@code args} on top. */
    public static Configuration configuration(StreamExecutionEnvironment env, String[] args) {
        Configuration conf = Configuration.fromMap(env.getConfiguration().toMap());
        conf.addAll(Configuration.fromMap(parse(args)));
        return conf;
    }

    /** {@code --key value} and {@code --key=value} pairs; anything else is an error naming it. */
    public static Map<String, String> parse(String[] args) {
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
