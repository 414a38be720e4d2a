package io.sluice.operators.flink;

import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.ModelCall;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

import java.util.HashMap;
import java.util.Map;

/**
 * What answered turns used and cost, per tenant and answer model (labels {@code tenant} and
 * {@code model}, the model profile that answered; both come from configuration, so their values
 * are bounded):
 * {@code sluice.conversation.usage.answered_turns}, {@code .prompt_tokens},
 * {@code .completion_tokens} (as the model reported them; the extractive answerer reports none) and
 * {@code .cost_nano_usd} (whole billionths of a dollar, exact; turns without a price count none).
 * Ratios such as cost per 1,000 messages are left to the query: a lifetime average exported as a
 * gauge would hide what changed in the last hour.
 */
final class CostMetrics {

    private final MetricGroup usage;
    private final Map<String, Map<String, Usage>> byTenant = new HashMap<>();

    private static final class Usage {
        final Counter turns;
        final Counter promptTokens;
        final Counter completionTokens;
        final Counter nanoUsd;

        Usage(MetricGroup group) {
            turns = group.counter("answered_turns");
            promptTokens = group.counter("prompt_tokens");
            completionTokens = group.counter("completion_tokens");
            nanoUsd = group.counter("cost_nano_usd");
        }
    }

    CostMetrics(MetricGroup conversationGroup) {
        this.usage = conversationGroup.addGroup("usage");
    }

    void answered(AnsweredTurn turn) {
        // The profile that answered: the name tenants choose, routing decides and breakers carry.
        String model = turn.routing().profile() != null ? turn.routing().profile()
                : turn.request().answerModel() != null ? turn.request().answerModel() : "default";
        Usage u = byTenant.computeIfAbsent(turn.request().tenantId(), t -> new HashMap<>())
                .computeIfAbsent(model, m -> new Usage(usage.addGroup("tenant", turn.request().tenantId())
                        .addGroup("model", m)));
        u.turns.inc();
        ModelCall call = turn.call();
        if (call != null) {
            u.promptTokens.inc(Math.max(0, call.promptTokens()));
            u.completionTokens.inc(Math.max(0, call.completionTokens()));
        }
        if (turn.cost() != null) {
            u.nanoUsd.inc(turn.cost().nanoUsd());
        }
    }
}
