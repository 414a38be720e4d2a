package io.sluice.schemas.tenants;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/** The periods token budgets are counted over: UTC calendar days and months of event time. */
public enum BudgetPeriod {
    DAY,
    MONTH;

    /** How the docs and messages say it: {@code daily}, {@code monthly}. */
    public String adjective() {
        return this == DAY ? "daily" : "monthly";
    }

    /** The period containing {@code eventTime}, named: {@code 2026-12-01} or {@code 2026-12}. */
    public String name(long eventTime) {
        LocalDate date = LocalDate.ofInstant(Instant.ofEpochMilli(eventTime), ZoneOffset.UTC);
        return this == DAY ? date.toString() : date.toString().substring(0, 7);
    }

    /** The event time (epoch ms) at which the period containing {@code eventTime} ends. */
    public long end(long eventTime) {
        LocalDate date = LocalDate.ofInstant(Instant.ofEpochMilli(eventTime), ZoneOffset.UTC);
        LocalDate next = this == DAY ? date.plusDays(1) : date.withDayOfMonth(1).plusMonths(1);
        return next.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    }
}
