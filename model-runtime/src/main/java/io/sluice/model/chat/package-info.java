/**
 * Generative chat models behind one streaming interface, and the OpenAI-compatible HTTP backend
 * (SSE streaming through the official SDK). No Flink types.
 */
package io.sluice.model.chat;
