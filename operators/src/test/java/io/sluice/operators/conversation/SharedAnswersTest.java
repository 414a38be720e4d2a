package io.sluice.operators.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SharedAnswersTest {

    @Test
    void theFirstAskerComputesAndTheOthersWaitForItInOrder() {
        SharedAnswers<String> shared = new SharedAnswers<>();
        assertThat(shared.ask("k", "t1")).isTrue();
        assertThat(shared.ask("k", "t2")).isFalse();
        assertThat(shared.ask("k", "t3")).isFalse();
        assertThat(shared.ask("other", "t4")).as("another key is computed on its own").isTrue();
        assertThat(shared.done("k", "t2")).as("a waiting turn does not release the key").isEmpty();
        assertThat(shared.done("k", "t1")).containsExactly("t2", "t3");
        assertThat(shared.computing()).isEqualTo(1);
        assertThat(shared.ask("k", "t5")).as("free again once answered").isTrue();
    }

    @Test
    void aTurnWithoutAKeyReleasesNothing() {
        SharedAnswers<String> shared = new SharedAnswers<>();
        shared.ask("k", "t1");
        assertThat(shared.done(null, "t1")).isEmpty();
        assertThat(shared.computing()).isEqualTo(1);
    }
}
