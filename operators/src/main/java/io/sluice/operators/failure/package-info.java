/**
 * Which failures belong to a record and which to the environment: the rule every stage applies so
 * that one bad record becomes that record's rejection while a broken snapshot, a lost connection or
 * an exhausted heap still fails the job over. No Flink types here.
 */
package io.sluice.operators.failure;
