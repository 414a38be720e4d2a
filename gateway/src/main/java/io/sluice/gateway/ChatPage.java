package io.sluice.gateway;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The chat page: three files shipped in the gateway jar (no build toolchain), served under
 * {@code /chat/} with a content security policy that lets the page load nothing but itself and
 * talk to nothing but this gateway, so text an answer carries can never run as script. Also the
 * demo login, which hands out the configured demo key and exists only when one is configured.
 */
final class ChatPage {

    private static final String ROOT = "io/sluice/gateway/chat/";

    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "chat.css", "text/css; charset=utf-8",
            "chat.js", "text/javascript; charset=utf-8");

    private static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private ChatPage() {}

    static void mount(Router router, String demoKey) {
        router.get("/").handler(ctx -> ctx.redirect("/chat/"));
        for (Map.Entry<String, String> file : FILES.entrySet()) {
            Buffer body = Buffer.buffer(read(file.getKey()));
            router.get("/chat/" + file.getKey()).handler(ctx -> serve(ctx, body, file.getValue()));
            if (file.getKey().equals("index.html")) {
                // Vert.x matches "/chat" and "/chat/" alike; the page's relative links need the slash.
                router.get("/chat/").handler(ctx -> {
                    if (ctx.request().path().endsWith("/")) {
                        serve(ctx, body, file.getValue());
                    } else {
                        ctx.redirect("/chat/");
                    }
                });
            }
        }
        String config = OpenAiWire.MAPPER.createObjectNode().put("demoLogin", demoKey != null).toString();
        router.get("/chat/config.json").handler(ctx -> serve(ctx, Buffer.buffer(config), "application/json"));
        router.post("/v1/sluice/demo-login").handler(ctx -> {
            if (demoKey == null) {
                ctx.response().setStatusCode(404).putHeader("Content-Type", "application/json").end(OpenAiWire.error(
                        new ApiException(404, "invalid_request_error", "not_found", "This gateway has no demo login.")));
            } else {
                ctx.response().putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store")
                        .end(OpenAiWire.MAPPER.createObjectNode().put("key", demoKey).toString());
            }
        });
    }

    private static void serve(RoutingContext ctx, Buffer body, String type) {
        ctx.response().putHeader("Content-Type", type).putHeader("Content-Security-Policy", POLICY)
                .putHeader("X-Content-Type-Options", "nosniff").putHeader("Referrer-Policy", "no-referrer")
                .putHeader("Cache-Control", "no-cache").end(body);
    }

    private static byte[] read(String name) {
        try (InputStream in = ChatPage.class.getClassLoader().getResourceAsStream(ROOT + name)) {
            if (in == null) {
                throw new IllegalStateException("The gateway jar lacks " + ROOT + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
