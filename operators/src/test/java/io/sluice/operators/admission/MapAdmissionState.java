package io.sluice.operators.admission;

import io.sluice.schemas.Reservation;
import io.sluice.schemas.Spend;
import io.sluice.schemas.TokenBucket;

import java.util.HashMap;
import java.util.Map;

/** One tenant's admission state in maps, for tests of {@link Admission} without Flink. */
final class MapAdmissionState implements AdmissionState {

    TokenBucket tenantBucket;
    final Map<String, TokenBucket> keyBuckets = new HashMap<>();
    final Map<String, Spend> spend = new HashMap<>();
    final Map<String, Reservation> reservations = new HashMap<>();
    int inFlight;

    @Override
    public TokenBucket tenantBucket() {
        return tenantBucket;
    }

    @Override
    public void tenantBucket(TokenBucket bucket) {
        tenantBucket = bucket;
    }

    @Override
    public TokenBucket keyBucket(String apiKeyId) {
        return keyBuckets.get(apiKeyId);
    }

    @Override
    public void keyBucket(String apiKeyId, TokenBucket bucket) {
        keyBuckets.put(apiKeyId, bucket);
    }

    @Override
    public Spend spend(String budgetKey) {
        return spend.get(budgetKey);
    }

    @Override
    public void spend(String budgetKey, Spend value) {
        spend.put(budgetKey, value);
    }

    @Override
    public Reservation reservation(String position) {
        return reservations.get(position);
    }

    @Override
    public void reserve(String position, Reservation reservation) {
        reservations.put(position, reservation);
    }

    @Override
    public void release(String position) {
        reservations.remove(position);
    }

    @Override
    public int inFlight() {
        return inFlight;
    }

    @Override
    public void inFlight(int generations) {
        inFlight = generations;
    }

    private io.sluice.schemas.tenants.LimitsHistory limitsHistory;

    @Override
    public io.sluice.schemas.tenants.LimitsHistory limitsHistory() {
        return limitsHistory;
    }

    @Override
    public void limitsHistory(io.sluice.schemas.tenants.LimitsHistory history) {
        limitsHistory = history;
    }
}
