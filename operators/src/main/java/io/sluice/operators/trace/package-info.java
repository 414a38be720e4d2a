/**
 * End-to-end traces of the request path (OpenTelemetry): a span per stage, each the child of the
 * one before, their parent carried in the record as a W3C traceparent
 * ({@link io.sluice.operators.trace.Tracing}), and the options that turn the exporter on
 * ({@link io.sluice.operators.trace.TracingOptions}; off by default, when nothing is created).
 */
package io.sluice.operators.trace;
