/** The batch backfill: reading documents, the content-addressed snapshot id, progress. */
package io.sluice.jobs.backfill;
