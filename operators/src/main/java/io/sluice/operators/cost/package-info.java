/**
 * What turns cost: a versioned price table per answer model and per embedding call, applied to the
 * token use a turn's model reported. Plain and exact (whole billionths of a dollar), so the audit
 * trail's costs add up and replay recomputes them identically under the same table.
 */
package io.sluice.operators.cost;
