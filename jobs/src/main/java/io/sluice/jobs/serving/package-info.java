/** The streaming serving job, its Kafka record formats and its jar entry point. */
package io.sluice.jobs.serving;
