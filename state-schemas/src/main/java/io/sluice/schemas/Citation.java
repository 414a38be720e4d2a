package io.sluice.schemas;

/** A source an answer cites: {@code marker} is the number shown in the answer as [marker]. */
public record Citation(int marker, String chunkId, String documentId, String title) {}
