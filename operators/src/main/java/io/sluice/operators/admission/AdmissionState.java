package io.sluice.operators.admission;

import io.sluice.schemas.Reservation;
import io.sluice.schemas.Spend;
import io.sluice.schemas.TokenBucket;
import io.sluice.schemas.tenants.LimitsHistory;

/**
 * One tenant's admission state, as {@link Admission} reads and changes it. The admission stage
 * implements it over keyed state (the tenant is the key); tests over maps. Getters return null
 * for what is not there yet.
 */
public interface AdmissionState {

    TokenBucket tenantBucket() throws Exception;

    void tenantBucket(TokenBucket bucket) throws Exception;

    TokenBucket keyBucket(String apiKeyId) throws Exception;

    void keyBucket(String apiKeyId, TokenBucket bucket) throws Exception;

    /** The count of one budget in one period ({@link Admission#budgetKey}). */
    Spend spend(String budgetKey) throws Exception;

    void spend(String budgetKey, Spend spend) throws Exception;

    /** The reservation of the request at {@code position} in {@code chat.requests}. */
    Reservation reservation(String position) throws Exception;

    void reserve(String position, Reservation reservation) throws Exception;

    void release(String position) throws Exception;

    /** Generations admitted and not yet settled. */
    int inFlight() throws Exception;

    void inFlight(int generations) throws Exception;

    /** The tenant's limits updates ({@link Admission#update}). */
    LimitsHistory limitsHistory() throws Exception;

    void limitsHistory(LimitsHistory history) throws Exception;
}
