/** Context compilation under a token budget. Plain Java, no Flink. */
package io.sluice.operators.context;
