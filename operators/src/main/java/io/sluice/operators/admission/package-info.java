/**
 * Admission: whether a valid request may go on, against its tenant's limits, decided before anything
 * costly (embedding, retrieval, models) runs. Plain Java; time is the request's event time and the
 * state is passed in and returned, so the keyed stage that holds it ({@code AdmissionFunction}) only
 * reads and writes it, and replay decides as the live run did.
 */
package io.sluice.operators.admission;
