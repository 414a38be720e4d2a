/**
 * Sluice's HTTP front door: an OpenAI-compatible API ({@code /v1/chat/completions}, {@code /v1/models})
 * in front of the serving job. A gateway instance authenticates the caller (an API key names its
 * tenant), produces the request to {@code chat.requests} signed and naming its own partition of
 * {@code chat.replies}, and streams back what arrives there. It keeps no state but caches: any
 * number of instances serve side by side. Plain classes do the work ({@link io.sluice.gateway.ApiKeys},
 * {@link io.sluice.gateway.OpenAiWire}, {@link io.sluice.gateway.Replies}); {@link io.sluice.gateway.Gateway}
 * wires them into Vert.x.
 */
package io.sluice.gateway;
