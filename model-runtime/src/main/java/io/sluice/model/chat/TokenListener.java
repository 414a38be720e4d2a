package io.sluice.model.chat;

/** Receives generated text as it streams, in order, from one thread at a time. */
@FunctionalInterface
public interface TokenListener {

    TokenListener NONE = text -> {};

    void onToken(String text);
}
