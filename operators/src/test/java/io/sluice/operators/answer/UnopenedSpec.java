package io.sluice.operators.answer;

import io.sluice.model.chat.ChatModel;

/** A generative model spec that is never opened, for tests of what only reads profiles (routing, planning). */
public record UnopenedSpec(String name, boolean remote) implements ChatModelSpec {

    @Override
    public String sharingKey() {
        return name;
    }

    @Override
    public ChatModel open() {
        throw new UnsupportedOperationException("a spec for planning only: " + name);
    }
}
