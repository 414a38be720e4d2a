/** Typed configuration of the jobs: one {@code *Options} class per job. */
package io.sluice.jobs.config;
