package io.sluice.jobs.eval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * K-fold cross-validation of a choice among configurations: for each fold, the configuration with
 * the best mean score on the other folds is chosen and scored on the fold it never saw. The mean of
 * those held-out scores estimates what choosing on all the data will give on new queries; the choice
 * itself is then made on all of them.
 *
 * <p>Queries go to folds by a seeded shuffle, so a run is repeatable from its seed. Ties between
 * configurations go to the earlier one in the list.
 */
public final class CrossValidation {

    /** One fold: which configuration the other folds chose, its score there, and on this fold. */
    public record Fold(int fold, int queries, int chosen, double trainScore, double heldOutScore,
            double heldOutSecondary) {}

    /** Every fold, the held-out means, and the configuration chosen on all queries. */
    public record Result(List<Fold> folds, double heldOutMean, double heldOutSecondaryMean, int chosenOnAll,
            double scoreOnAll, double secondaryOnAll) {}

    private CrossValidation() {}

    /**
     * @param scores {@code scores[config][query]}: the metric the choice maximises
     * @param secondary {@code secondary[config][query]}: a metric only reported (recall, say)
     */
    public static Result run(double[][] scores, double[][] secondary, int folds, long seed) {
        int configs = scores.length;
        int queries = configs == 0 ? 0 : scores[0].length;
        if (configs == 0 || folds < 2 || folds > queries) {
            throw new IllegalArgumentException("cross-validation needs configurations and 2 <= folds <= queries ("
                    + queries + "), got " + configs + " configurations and " + folds + " folds");
        }
        int[] foldOf = assign(queries, folds, seed);
        List<Fold> out = new ArrayList<>(folds);
        double heldOut = 0;
        double heldOutSecondary = 0;
        for (int f = 0; f < folds; f++) {
            final int fold = f;
            int chosen = best(scores, q -> foldOf[q] != fold);
            double train = mean(scores[chosen], q -> foldOf[q] != fold);
            double test = mean(scores[chosen], q -> foldOf[q] == fold);
            double testSecondary = mean(secondary[chosen], q -> foldOf[q] == fold);
            int n = 0;
            for (int q = 0; q < queries; q++) {
                n += foldOf[q] == fold ? 1 : 0;
            }
            out.add(new Fold(f + 1, n, chosen, train, test, testSecondary));
            // Weighted by fold size, so the mean is over queries as the full-split number is.
            heldOut += test * n;
            heldOutSecondary += testSecondary * n;
        }
        int all = best(scores, q -> true);
        return new Result(out, heldOut / queries, heldOutSecondary / queries, all,
                mean(scores[all], q -> true), mean(secondary[all], q -> true));
    }

    /** Fold of each query: a seeded shuffle dealt round-robin, so fold sizes differ by at most one. */
    static int[] assign(int queries, int folds, long seed) {
        List<Integer> order = new ArrayList<>(queries);
        for (int q = 0; q < queries; q++) {
            order.add(q);
        }
        Collections.shuffle(order, new Random(seed));
        int[] foldOf = new int[queries];
        for (int i = 0; i < queries; i++) {
            foldOf[order.get(i)] = i % folds;
        }
        return foldOf;
    }

    private static int best(double[][] scores, java.util.function.IntPredicate included) {
        int best = 0;
        double bestMean = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < scores.length; c++) {
            double m = mean(scores[c], included);
            if (m > bestMean) {
                best = c;
                bestMean = m;
            }
        }
        return best;
    }

    private static double mean(double[] values, java.util.function.IntPredicate included) {
        double sum = 0;
        int n = 0;
        for (int q = 0; q < values.length; q++) {
            if (included.test(q)) {
                sum += values[q];
                n++;
            }
        }
        return n == 0 ? 0 : sum / n;
    }
}
