package io.sluice.operators.flink;

import io.sluice.schemas.AnsweredTurn;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

import java.util.HashMap;
import java.util.Map;

/**
 * What answered turns cost, per tenant (a {@code tenant} label; tenants are configured, so the
 * label's values are bounded): {@code answeredTurns}, {@code costNanoUsd} (whole billionths of a
 * dollar, exact) and the gauge {@code costPer1kMessagesUsd}, the unit the operators' budgets are
 * stated in. Turns without a cost (no price table) count as answered only.
 */
final class CostMetrics {

    private final MetricGroup group;
    private final Map<String, Tenant> tenants = new HashMap<>();

    private static final class Tenant {
        final Counter turns;
        final Counter nanoUsd;

        Tenant(MetricGroup group) {
            turns = group.counter("answered_turns");
            nanoUsd = group.counter("cost_nano_usd");
            group.gauge("cost_per_1k_messages_usd", () -> turns.getCount() == 0 ? 0.0
                    : nanoUsd.getCount() / 1e9 / turns.getCount() * 1000);
        }
    }

    CostMetrics(MetricGroup conversationGroup) {
        this.group = conversationGroup;
    }

    void answered(AnsweredTurn turn) {
        Tenant t = tenants.computeIfAbsent(turn.request().tenantId(), id -> new Tenant(group.addGroup("tenant", id)));
        t.turns.inc();
        if (turn.cost() != null) {
            t.nanoUsd.inc(turn.cost().nanoUsd());
        }
    }
}
