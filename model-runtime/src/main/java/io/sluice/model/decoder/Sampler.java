package io.sluice.model.decoder;

import java.util.SplittableRandom;

/**
 * Picks the next token from a row of logits: the most likely one at temperature 0, else a draw
 * from the temperature-scaled distribution cut to its top-p nucleus. Ties go to the lower token
 * id and the draw comes from the caller's seeded generator, so the same logits and seed always give
 * the same token.
 */
final class Sampler {

    private Sampler() {}

    static int next(float[] logits, int offset, int vocab, double temperature, double topP, SplittableRandom random) {
        if (temperature == 0.0) {
            int best = 0;
            for (int i = 1; i < vocab; i++) {
                if (logits[offset + i] > logits[offset + best]) {
                    best = i;
                }
            }
            return best;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double[] p = new double[vocab];
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            p[i] = Math.exp((logits[offset + i] - max) / temperature);
            sum += p[i];
        }
        Integer[] order = new Integer[vocab];
        for (int i = 0; i < vocab; i++) {
            order[i] = i;
            p[i] /= sum;
        }
        java.util.Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        int nucleus = 0;
        double mass = 0;
        while (nucleus < vocab && (nucleus == 0 || mass < topP)) {
            mass += p[order[nucleus++]];
        }
        double draw = random.nextDouble() * mass;
        for (int i = 0; i < nucleus; i++) {
            draw -= p[order[i]];
            if (draw < 0) {
                return order[i];
            }
        }
        return order[nucleus - 1];
    }
}
