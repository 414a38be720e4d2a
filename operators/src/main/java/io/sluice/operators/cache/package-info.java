/**
 * Caches in Redis: one connection per TaskManager and Redis ({@link io.sluice.operators.cache.RedisCache}),
 * and what is cached in it. A cache never fails a record: while Redis is slow or away, lookups miss.
 * And the bounded in-process map operators remember computed values in ({@link
 * io.sluice.operators.cache.LruMap}).
 */
package io.sluice.operators.cache;
