/**
 * Tenants and their policies as the tenants file and {@code chat.tenant-limits} state them: limits
 * (rates, token budgets, generations in flight), personal-data and prompt-injection policies, the
 * response cache's policy, and the versioned limits updates the admission stage keeps in keyed
 * state, and the registry that reads the tenants file ({@link io.sluice.schemas.tenants.TenantRegistry}).
 * What applies to a request is decided by the stages, not here.
 */
package io.sluice.schemas.tenants;
