package io.sluice.gateway;

import io.sluice.schemas.Secrets;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;

import java.io.File;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * JWT bearer tokens as an alternative to API keys: RS256 or ES256 signed by a key of a JWKS (a file,
 * or a URL fetched and cached by nimbus-jose-jwt), or HS256 under a shared secret; the issuer, the
 * audience and the expiry (with a minute of clock skew) are checked, and a configured claim names
 * the tenant. A token that fails any check names no tenant.
 */
public final class JwtAuth {

    /**
     * Where keys come from and what a token must say. At least one of {@code jwksFile},
     * {@code jwksUrl}, {@code hs256SecretFile}; {@code issuer} and {@code audience} are required.
     */
    public record Settings(String jwksFile, String jwksUrl, String hs256SecretFile, String issuer, String audience,
            String tenantClaim) {

        public boolean enabled() {
            return jwksFile != null || jwksUrl != null || hs256SecretFile != null;
        }
    }

    private static final Pattern JWT = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*");

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    private final String tenantClaim;

    public JwtAuth(Settings settings) throws Exception {
        if (!settings.enabled()) {
            throw new IllegalArgumentException("JWT needs a JWKS file, a JWKS URL or an HS256 secret file");
        }
        if (settings.issuer() == null || settings.audience() == null) {
            throw new IllegalArgumentException("JWT needs the expected issuer and audience");
        }
        List<JWSKeySelector<SecurityContext>> selectors = new ArrayList<>();
        JWKSource<SecurityContext> jwks = null;
        if (settings.jwksFile() != null) {
            jwks = new ImmutableJWKSet<>(JWKSet.load(new File(settings.jwksFile())));
        } else if (settings.jwksUrl() != null) {
            jwks = JWKSourceBuilder.create(URI.create(settings.jwksUrl()).toURL()).retrying(true).build();
        }
        JWSKeySelector<SecurityContext> asymmetric = jwks == null ? null
                : new JWSVerificationKeySelector<>(Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256), jwks);
        JWSKeySelector<SecurityContext> symmetric = null;
        if (settings.hs256SecretFile() != null) {
            String secret = Secrets.resolve(settings.hs256SecretFile(), null);
            if (secret == null || secret.getBytes(StandardCharsets.UTF_8).length < 32) {
                throw new IllegalArgumentException("An HS256 secret needs at least 32 bytes");
            }
            symmetric = new JWSVerificationKeySelector<>(JWSAlgorithm.HS256,
                    new ImmutableSecret<>(secret.getBytes(StandardCharsets.UTF_8)));
        }
        JWSKeySelector<SecurityContext> byAlgorithm = asymmetric;
        JWSKeySelector<SecurityContext> hmac = symmetric;
        processor.setJWSKeySelector((header, context) -> {
            JWSKeySelector<SecurityContext> selector = JWSAlgorithm.HS256.equals(header.getAlgorithm()) ? hmac : byAlgorithm;
            return selector == null ? List.of() : selector.selectJWSKeys(header, context);
        });
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(settings.audience(),
                new JWTClaimsSet.Builder().issuer(settings.issuer()).build(), Set.of("exp", settings.tenantClaim())));
        this.tenantClaim = settings.tenantClaim();
    }

    /** Whether a bearer credential is shaped like a JWT (three base64url parts), not like an API key. */
    public static boolean looksLikeJwt(String credential) {
        return credential != null && JWT.matcher(credential).matches();
    }

    /** The tenant a valid token names; empty for a token that fails any check. */
    public Optional<String> tenantOf(String token) {
        try {
            String tenant = processor.process(token, null).getStringClaim(tenantClaim);
            return tenant == null || tenant.isBlank() ? Optional.empty() : Optional.of(tenant);
        } catch (Exception e) {
            return Optional.empty();
        }
    }
}
