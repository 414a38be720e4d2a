package io.sluice.jobs.eval;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class CrossValidationTest {

    @Test
    void foldsAreBalancedAndRepeatableFromTheSeed() {
        int[] a = CrossValidation.assign(103, 5, 7);
        assertThat(a).containsExactly(CrossValidation.assign(103, 5, 7));
        assertThat(a).isNotEqualTo(CrossValidation.assign(103, 5, 8));
        int[] sizes = new int[5];
        for (int f : a) {
            sizes[f]++;
        }
        assertThat(sizes).containsExactlyInAnyOrder(21, 21, 21, 20, 20);
    }

    /**
     * Configuration 1 is excellent on one fold's queries and slightly worse than configuration 0
     * elsewhere: chosen on all the data it looks best (0.56 against 0.5), but on each fold it is
     * scored on queries it was not chosen by, so the held-out mean (0.46) exposes the overfit.
     */
    @Test
    void heldOutScoresExposeAChoiceThatOnlyFitsSomeQueries() {
        int queries = 100;
        int folds = 5;
        long seed = 42;
        int[] foldOf = CrossValidation.assign(queries, folds, seed);
        double[] steady = new double[queries];
        double[] lucky = new double[queries];
        Arrays.fill(steady, 0.5);
        for (int q = 0; q < queries; q++) {
            lucky[q] = foldOf[q] == 0 ? 1.0 : 0.45;
        }
        double[][] scores = {steady, lucky};
        double[][] recall = {filled(queries, 0.9), filled(queries, 0.8)};

        CrossValidation.Result r = CrossValidation.run(scores, recall, folds, seed);

        assertThat(r.chosenOnAll()).isEqualTo(1);
        assertThat(r.scoreOnAll()).isCloseTo(0.56, within(1e-9));
        assertThat(r.folds()).hasSize(folds);
        // Held out, fold 1 (index 0) was chosen without its lucky queries: the steady configuration.
        assertThat(r.folds().get(0).chosen()).isZero();
        assertThat(r.folds().get(0).heldOutScore()).isCloseTo(0.5, within(1e-9));
        assertThat(r.folds().get(0).heldOutSecondary()).isCloseTo(0.9, within(1e-9));
        for (CrossValidation.Fold f : r.folds().subList(1, folds)) {
            assertThat(f.chosen()).isEqualTo(1);
            assertThat(f.trainScore()).isCloseTo(0.5875, within(1e-9));
            assertThat(f.heldOutScore()).isCloseTo(0.45, within(1e-9));
        }
        assertThat(r.heldOutMean()).isCloseTo(0.46, within(1e-9));
        assertThat(r.heldOutSecondaryMean()).isCloseTo(0.82, within(1e-9));
    }

    @Test
    void tiesGoToTheEarlierConfiguration() {
        double[][] same = {filled(10, 0.7), filled(10, 0.7)};
        assertThat(CrossValidation.run(same, same, 2, 1).chosenOnAll()).isZero();
    }

    @Test
    void refusesFoldsItCannotFill() {
        double[][] one = {filled(3, 1)};
        assertThatThrownBy(() -> CrossValidation.run(one, one, 4, 1)).hasMessageContaining("2 <= folds <= queries (3)");
        assertThatThrownBy(() -> CrossValidation.run(one, one, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    private static double[] filled(int n, double v) {
        double[] a = new double[n];
        Arrays.fill(a, v);
        return a;
    }
}
