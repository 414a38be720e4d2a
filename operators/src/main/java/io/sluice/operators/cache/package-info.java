/**
 * Caches in Redis: one connection per TaskManager and Redis ({@link io.sluice.operators.cache.RedisCache}),
 * and what is cached in it. A cache never fails a record: while Redis is slow or away, lookups miss.
 * The bounded in-process map that operators remember computed values in,
 * {@link io.sluice.schemas.LruMap}, is in state-schemas, shared with the gateway.
 */
package io.sluice.operators.cache;
