package io.sluice.jobs.testing;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/** Requests fired at once: several threads share one producer, as concurrent clients would. */
public final class Bursts {

    private static final int THREADS = 4;

    private Bursts() {}

    /**
     * Sends the records of {@code from} (inclusive) to {@code to} from four threads at once, thread
     * {@code t} taking every fourth index from {@code from + t}; returns once all are acknowledged.
     */
    public static void send(KafkaProducer<String, String> producer, int from, int to,
            IntFunction<List<ProducerRecord<String, String>>> records) throws Exception {
        ExecutorService senders = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> sent = new ArrayList<>();
            for (int thread = 0; thread < THREADS; thread++) {
                int first = from + thread;
                sent.add(senders.submit(() -> {
                    for (int i = first; i < to; i += THREADS) {
                        records.apply(i).forEach(producer::send);
                    }
                    producer.flush();
                    return null;
                }));
            }
            for (Future<?> f : sent) {
                f.get();
            }
        } finally {
            senders.shutdown();
        }
    }
}
