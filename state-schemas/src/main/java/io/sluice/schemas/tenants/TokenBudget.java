package io.sluice.schemas.tenants;

import java.io.Serializable;

/**
 * Tokens a scope (a tenant, each of its API keys, or its use of one answer model) may spend on
 * generative models per UTC day and per UTC month of event time; 0 leaves that period unbounded.
 */
public record TokenBudget(long tokensPerDay, long tokensPerMonth) implements Serializable {

    public TokenBudget {
        if (tokensPerDay < 0 || tokensPerMonth < 0 || (tokensPerDay == 0 && tokensPerMonth == 0)) {
            throw new IllegalArgumentException("a token budget needs tokensPerDay or tokensPerMonth (whole numbers "
                    + "above 0; 0 or absent leaves that period unbounded), not " + tokensPerDay + "/" + tokensPerMonth);
        }
    }

    /** The bound of {@code period}, 0 for none. */
    public long of(BudgetPeriod period) {
        return period == BudgetPeriod.DAY ? tokensPerDay : tokensPerMonth;
    }
}
