package io.sluice.operators.chunk;

import io.sluice.model.TokenCounter;
import io.sluice.schemas.Chunk;
import io.sluice.schemas.Document;
import io.sluice.operators.text.SentenceSplitter;

import java.util.ArrayList;
import java.util.List;

/**
 * Sentence-aware chunking under a token bound. Sentences are packed greedily; a chunk ends before
 * the sentence that would overflow it, and the next chunk starts with the previous chunk's trailing
 * sentences that fit in the overlap. A single sentence longer than the bound is cut at word
 * boundaries. A chunk's text holds one sentence (or heading, list item, table row) per line. Pure and deterministic: the same text and settings give the same chunks.
 */
public final class Chunker {

    private final ChunkerSettings settings;
    private final TokenCounter tokens;

    public Chunker(ChunkerSettings settings, TokenCounter tokens) {
        this.settings = settings;
        this.tokens = tokens;
    }

    public List<Chunk> chunk(Document doc) {
        List<Piece> pieces = new ArrayList<>();
        for (String sentence : SentenceSplitter.split(doc.text())) {
            int count = tokens.count(sentence);
            if (count <= settings.maxTokens()) {
                pieces.add(new Piece(sentence, count));
            } else {
                splitLongSentence(sentence, pieces);
            }
        }

        List<String> texts = new ArrayList<>();
        List<Integer> textTokens = new ArrayList<>();
        List<Piece> current = new ArrayList<>();
        int currentTokens = 0;
        int freshInCurrent = 0;
        for (Piece piece : pieces) {
            if (currentTokens + piece.tokens > settings.maxTokens() && freshInCurrent > 0) {
                texts.add(join(current));
                textTokens.add(currentTokens);
                current = overlapTail(current);
                currentTokens = current.stream().mapToInt(p -> p.tokens).sum();
                freshInCurrent = 0;
                while (currentTokens + piece.tokens > settings.maxTokens() && !current.isEmpty()) {
                    currentTokens -= current.remove(0).tokens;
                }
            }
            current.add(piece);
            currentTokens += piece.tokens;
            freshInCurrent++;
        }
        if (freshInCurrent > 0) {
            texts.add(join(current));
            textTokens.add(currentTokens);
        }
        // Sections of a context are separated by whitespace, so counts add up (see ContextCompiler).
        int titleTokens = tokens.count(Chunk.displayTitle(doc.title(), doc.documentId()));
        List<Chunk> chunks = new ArrayList<>(texts.size());
        for (int position = 0; position < texts.size(); position++) {
            chunks.add(new Chunk(doc.documentId() + "#" + position, doc.tenantId(),
                    doc.documentId(), doc.title(), position, texts.size(), texts.get(position),
                    titleTokens + textTokens.get(position)));
        }
        return chunks;
    }

    private List<Piece> overlapTail(List<Piece> chunk) {
        List<Piece> tail = new ArrayList<>();
        int total = 0;
        // Never carry the whole chunk over: the next chunk must move forward.
        for (int i = chunk.size() - 1; i > 0; i--) {
            Piece p = chunk.get(i);
            if (total + p.tokens > settings.overlapTokens()) {
                break;
            }
            tail.add(0, p);
            total += p.tokens;
        }
        return tail;
    }

    private void splitLongSentence(String sentence, List<Piece> out) {
        StringBuilder part = new StringBuilder();
        int partTokens = 0;
        for (String word : sentence.split(" ")) {
            int wordTokens = tokens.count(word);
            if (partTokens + wordTokens > settings.maxTokens() && part.length() > 0) {
                out.add(new Piece(part.toString(), partTokens));
                part.setLength(0);
                partTokens = 0;
            }
            if (part.length() > 0) {
                part.append(' ');
            }
            part.append(word);
            partTokens += wordTokens;
        }
        if (part.length() > 0) {
            out.add(new Piece(part.toString(), partTokens));
        }
    }

    private static String join(List<Piece> pieces) {
        // One unit per line keeps headings, list items and table rows apart for the answerer.
        StringBuilder text = new StringBuilder();
        for (Piece p : pieces) {
            if (text.length() > 0) {
                text.append('\n');
            }
            text.append(p.text);
        }
        return text.toString();
    }

    private record Piece(String text, int tokens) {}
}
