package io.sluice.operators.validate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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
}
