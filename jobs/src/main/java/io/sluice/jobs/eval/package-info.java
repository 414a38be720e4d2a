/** Retrieval evaluation on BEIR-layout data sets with the serving path's retrieval code. */
package io.sluice.jobs.eval;
