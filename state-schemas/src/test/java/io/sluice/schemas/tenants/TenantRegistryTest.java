package io.sluice.schemas.tenants;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TenantRegistryTest {

    @Test
    void loadsTenantsWithDefaults(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tenants.json");
        Files.writeString(file, "{\"tenants\":[{\"id\":\"acme\",\"topK\":3},{\"id\":\"globex\"}]}");
        TenantRegistry registry = TenantRegistry.load(file);
        assertThat(registry.ids()).containsExactly("acme", "globex");
        assertThat(registry.find("acme")).get().extracting(Tenant::topK).isEqualTo(3);
        assertThat(registry.find("globex")).get().isEqualTo(Tenant.withDefaults("globex"));
        assertThat(registry.find("nobody")).isEmpty();
    }

    @Test
    void explainsABadFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tenants.json");
        Files.writeString(file, "{\"tenants\":[]}");
        assertThatThrownBy(() -> TenantRegistry.load(file)).hasMessageContaining("non-empty");
        Files.writeString(file, "{\"tenants\":[{\"id\":\"a\",\"topK\":50}]}");
        assertThatThrownBy(() -> TenantRegistry.load(file)).hasMessageContaining("at most its maximum");
        assertThatThrownBy(() -> TenantRegistry.load(dir.resolve("none.json"))).hasMessageContaining("not found");
    }

    @Test
    void aTenantMayBeLimitedToSomeModels(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tenants.json");
        Files.writeString(file, "{\"tenants\":[{\"id\":\"acme\",\"models\":[\"extractive\"]},{\"id\":\"globex\"}]}");
        TenantRegistry registry = TenantRegistry.load(file);
        Tenant acme = registry.find("acme").orElseThrow();
        assertThat(acme.allows("extractive")).isTrue();
        assertThat(acme.allows("remote")).isFalse();
        assertThat(acme.allowed(List.of("remote", "extractive"))).containsExactly("extractive");
        assertThat(registry.find("globex").orElseThrow().allowed(List.of("remote", "extractive")))
                .containsExactly("remote", "extractive");

        Files.writeString(file, "{\"tenants\":[{\"id\":\"a\",\"models\":[]}]}");
        assertThatThrownBy(() -> TenantRegistry.load(file)).hasMessageContaining("at least one answer model");
        Files.writeString(file, "{\"tenants\":[{\"id\":\"a\",\"models\":\"extractive\"}]}");
        assertThatThrownBy(() -> TenantRegistry.load(file)).hasMessageContaining("array of answer model names");
        Files.writeString(file, "{\"tenants\":[{\"id\":\"a\",\"answerModel\":\"remote\",\"models\":[\"extractive\"]}]}");
        assertThatThrownBy(() -> TenantRegistry.load(file)).hasMessageContaining("not one of its models");
    }

    @Test
    void aTenantNamesItsPersonalDataPolicy(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tenants.json");
        Files.writeString(file, "{\"tenants\":[{\"id\":\"acme\",\"pii\":\"reject\"},{\"id\":\"globex\",\"pii\":\"Allow\"},"
                + "{\"id\":\"initech\"}]}");
        TenantRegistry registry = TenantRegistry.load(file);
        assertThat(registry.find("acme").orElseThrow().pii()).isEqualTo(PiiPolicy.REJECT);
        assertThat(registry.find("globex").orElseThrow().pii()).isEqualTo(PiiPolicy.ALLOW);
        assertThat(registry.find("initech").orElseThrow().pii()).isEqualTo(PiiPolicy.REDACT);
        Files.writeString(file, "{\"tenants\":[{\"id\":\"a\",\"pii\":\"hide\"}]}");
        assertThatThrownBy(() -> TenantRegistry.load(file)).hasMessageContaining("redact, reject or allow");
    }

    @Test
    void aTenantNamesItsTierResidencyAndResponseCache(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tenants.json");
        Files.writeString(file, "{\"tenants\":[{\"id\":\"acme\",\"tier\":\"gold\",\"residency\":\"eu\","
                + "\"responseCache\":{\"ttl\":\"30 min\",\"sampled\":true}},{\"id\":\"globex\",\"responseCache\":{}},"
                + "{\"id\":\"initech\"}]}");
        TenantRegistry registry = TenantRegistry.load(file);
        Tenant acme = registry.find("acme").orElseThrow();
        assertThat(acme.tier()).isEqualTo("gold");
        assertThat(acme.residency()).isEqualTo("eu");
        assertThat(acme.responseCache()).isEqualTo(new ResponseCachePolicy(java.time.Duration.ofMinutes(30), true));
        assertThat(registry.find("globex").orElseThrow().responseCache())
                .isEqualTo(new ResponseCachePolicy(ResponseCachePolicy.DEFAULT_TTL, false));
        Tenant initech = registry.find("initech").orElseThrow();
        assertThat(initech.tier()).isEqualTo(Tenant.DEFAULT_TIER);
        assertThat(initech.residency()).isNull();
        assertThat(initech.responseCache()).isNull();
        Files.writeString(file, "{\"tenants\":[{\"id\":\"a\",\"responseCache\":{\"ttl\":\"soon\"}}]}");
        assertThatThrownBy(() -> TenantRegistry.load(file)).hasMessageContaining("'responseCache.ttl' must be a duration");
        Files.writeString(file, "{\"tenants\":[{\"id\":\"a\",\"tier\":3}]}");
        assertThatThrownBy(() -> TenantRegistry.load(file)).hasMessageContaining("'tier' must be text");
    }

    @Test
    void aTenantMayHaveARateLimit(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tenants.json");
        Files.writeString(file, "{\"tenants\":[{\"id\":\"acme\",\"rateLimit\":{\"requestsPerMinute\":300,\"burst\":20}},"
                + "{\"id\":\"globex\",\"rateLimit\":{\"requestsPerMinute\":1000},"
                + "\"keyRateLimit\":{\"requestsPerMinute\":50,\"burst\":5}},{\"id\":\"initech\"}]}");
        TenantRegistry registry = TenantRegistry.load(file);
        assertThat(registry.find("acme").orElseThrow().rateLimit()).isEqualTo(new RateLimit(300, 20));
        assertThat(registry.find("globex").orElseThrow().rateLimit()).isEqualTo(new RateLimit(1000, 100));
        assertThat(registry.find("initech").orElseThrow().rateLimit()).isNull();
        assertThat(registry.find("globex").orElseThrow().keyRateLimit()).isEqualTo(new RateLimit(50, 5));
        assertThat(registry.find("acme").orElseThrow().keyRateLimit()).isNull();
        for (String bad : new String[] {"{\"requestsPerMinute\":0}", "{\"requestsPerMinute\":1.5}",
                "{\"burst\":3}", "{\"requestsPerMinute\":60,\"burst\":\"ten\"}", "300"}) {
            Files.writeString(file, "{\"tenants\":[{\"id\":\"a\",\"rateLimit\":" + bad + "}]}");
            assertThatThrownBy(() -> TenantRegistry.load(file)).as(bad).hasMessageContaining("Tenants file")
                    .hasMessageContaining("a");
        }
    }

    @Test
    void aTenantMayHaveTokenBudgetsAndABoundOnGenerationsInFlight(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tenants.json");
        Files.writeString(file, "{\"tenants\":[{\"id\":\"acme\",\"models\":[\"extractive\",\"remote\"],"
                + "\"tokenBudget\":{\"tokensPerDay\":1000,\"tokensPerMonth\":20000},"
                + "\"keyTokenBudget\":{\"tokensPerDay\":400},\"modelTokenBudgets\":{\"remote\":{\"tokensPerMonth\":900}},"
                + "\"maxInFlight\":4},{\"id\":\"initech\"}]}");
        TenantRegistry registry = TenantRegistry.load(file);
        Limits acme = registry.find("acme").orElseThrow().limits();
        assertThat(acme.tokens()).isEqualTo(new TokenBudget(1000, 20000));
        assertThat(acme.keyTokens()).isEqualTo(new TokenBudget(400, 0));
        assertThat(acme.modelTokens("remote")).isEqualTo(new TokenBudget(0, 900));
        assertThat(acme.modelTokens("extractive")).isNull();
        assertThat(acme.maxInFlight()).isEqualTo(4);
        assertThat(acme.budgeted()).isTrue();
        assertThat(registry.find("initech").orElseThrow().limits()).isEqualTo(Limits.NONE);
        assertThat(Limits.NONE.any()).isFalse();
        for (String bad : new String[] {"\"tokenBudget\":{}", "\"tokenBudget\":{\"tokensPerDay\":-5}",
                "\"keyTokenBudget\":{\"tokensPerDay\":1.5}", "\"maxInFlight\":-1", "\"modelTokenBudgets\":[1]",
                "\"models\":[\"extractive\"],\"modelTokenBudgets\":{\"remote\":{\"tokensPerDay\":5}}"}) {
            Files.writeString(file, "{\"tenants\":[{\"id\":\"a\"," + bad + "}]}");
            assertThatThrownBy(() -> TenantRegistry.load(file)).as(bad).hasMessageContaining("Tenants file");
        }
    }

    @Test
    void budgetPeriodsAreUtcDaysAndMonthsOfEventTime() {
        long t = java.time.Instant.parse("2026-12-31T23:59:59.999Z").toEpochMilli();
        assertThat(BudgetPeriod.DAY.name(t)).isEqualTo("2026-12-31");
        assertThat(BudgetPeriod.MONTH.name(t)).isEqualTo("2026-12");
        assertThat(BudgetPeriod.DAY.end(t)).isEqualTo(t + 1);
        assertThat(BudgetPeriod.MONTH.end(java.time.Instant.parse("2026-02-10T05:00:00Z").toEpochMilli()))
                .isEqualTo(java.time.Instant.parse("2026-03-01T00:00:00Z").toEpochMilli());
    }
}
