/**
 * The thin Flink functions of the request path. Each adapts Flink callbacks (open, state, side
 * outputs, metrics) to a plain collaborator from the sibling packages; no business logic lives here.
 */
package io.sluice.operators.flink;
