/** The {@code sluice} command line: demo, backfill, serve, eval. Commands only wire; logic lives in the jobs. */
package io.sluice.cli;
