/** Request validation and the tenant registry. Plain Java, no Flink. */
package io.sluice.operators.validate;
