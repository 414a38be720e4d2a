/**
 * The records of Sluice's request path: what arrives on {@code chat.requests}, what flows between
 * operators, what is kept in keyed state and what the audit trail stores. Every record is immutable
 * and has an explicit, versioned codec; none may fall back to Kryo. JSON views of the records on
 * Kafka live in {@link io.sluice.schemas.json}.
 */
package io.sluice.schemas;
