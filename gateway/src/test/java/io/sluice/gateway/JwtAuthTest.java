package io.sluice.gateway;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;

import static org.assertj.core.api.Assertions.assertThat;

/** JWTs: RS256 and ES256 from a JWKS file, HS256 from a secret; issuer, audience, expiry and the tenant claim checked. */
class JwtAuthTest {

    private static final String SECRET = "a shared HS256 secret of 32 bytes or more";

    @TempDir
    static Path dir;

    private static RSAKey rsa;
    private static ECKey ec;
    private static JwtAuth auth;

    @BeforeAll
    static void keys() throws Exception {
        rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
        Path jwks = Files.writeString(dir.resolve("jwks.json"), new JWKSet(java.util.List.of(rsa.toPublicJWK(),
                ec.toPublicJWK())).toString());
        Path secret = Files.writeString(dir.resolve("secret"), SECRET);
        auth = new JwtAuth(new JwtAuth.Settings(jwks.toString(), null, secret.toString(), "https://login.example",
                "sluice", "tenant"));
    }

    private static JWTClaimsSet.Builder claims() {
        return new JWTClaimsSet.Builder().issuer("https://login.example").audience("sluice").claim("tenant", "acme")
                .expirationTime(new Date(System.currentTimeMillis() + 60_000));
    }

    private static String rs256(JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa-1").build(), claims);
        jwt.sign(new RSASSASigner(rsa));
        return jwt.serialize();
    }

    @Test
    void validTokensOfEveryAlgorithmNameTheirTenant() throws Exception {
        assertThat(auth.tenantOf(rs256(claims().build()))).contains("acme");
        SignedJWT es = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("ec-1").build(), claims().build());
        es.sign(new ECDSASigner(ec));
        assertThat(auth.tenantOf(es.serialize())).contains("acme");
        SignedJWT hs = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims().claim("tenant", "globex").build());
        hs.sign(new MACSigner(SECRET.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertThat(auth.tenantOf(hs.serialize())).contains("globex");
        assertThat(JwtAuth.looksLikeJwt(hs.serialize())).isTrue();
        assertThat(JwtAuth.looksLikeJwt("sk-sluice-000000000000-" + "0".repeat(40))).isFalse();
    }

    @Test
    void tokensThatFailACheckNameNoTenant() throws Exception {
        assertThat(auth.tenantOf(rs256(claims().expirationTime(new Date(System.currentTimeMillis() - 120_000)).build())))
                .as("expired").isEmpty();
        assertThat(auth.tenantOf(rs256(claims().audience("other").build()))).as("audience").isEmpty();
        assertThat(auth.tenantOf(rs256(claims().issuer("https://evil.example").build()))).as("issuer").isEmpty();
        assertThat(auth.tenantOf(rs256(claims().claim("tenant", null).build()))).as("no tenant").isEmpty();
        String good = rs256(claims().build());
        String[] parts = good.split("\\.");
        String forged = parts[0] + "." + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                claims().claim("tenant", "globex").build().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                + "." + parts[2];
        assertThat(auth.tenantOf(forged)).as("claims changed after signing").isEmpty();
        RSAKey stranger = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        SignedJWT unknown = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa-1").build(), claims().build());
        unknown.sign(new RSASSASigner(stranger));
        assertThat(auth.tenantOf(unknown.serialize())).as("signed by another key").isEmpty();
        assertThat(auth.tenantOf("not.a.jwt")).isEmpty();
    }
}
