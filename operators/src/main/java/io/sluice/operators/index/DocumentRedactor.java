package io.sluice.operators.index;

import io.sluice.operators.guard.PiiDetector;
import io.sluice.operators.guard.PiiRedactor;
import io.sluice.operators.guard.PiiType;
import io.sluice.schemas.Document;

import java.util.EnumMap;
import java.util.Map;

/**
 * Replaces personal data in a document's title and text with placeholders numbered per document,
 * before it is chunked: the snapshot is content-addressed, so redacted documents make their own.
 * Counts what it replaced.
 */
public final class DocumentRedactor {

    private final PiiDetector detector = new PiiDetector();
    private final Map<PiiType, Integer> counts = new EnumMap<>(PiiType.class);
    private int changed;

    public Document redact(Document d) {
        if (d.deleted()) {
            return d;
        }
        PiiRedactor redactor = new PiiRedactor(detector);
        PiiRedactor.Redaction title = redactor.redact(d.title() == null ? "" : d.title());
        PiiRedactor.Redaction text = redactor.redact(d.text());
        if (title.changed() || text.changed()) {
            changed++;
            title.counts().forEach((type, n) -> counts.merge(type, n, Integer::sum));
            text.counts().forEach((type, n) -> counts.merge(type, n, Integer::sum));
        }
        return new Document(d.tenantId(), d.documentId(), d.title() == null ? null : title.text(), text.text(),
                d.updatedAt());
    }

    /** Documents changed so far. */
    public int changed() {
        return changed;
    }

    /** Replacements so far, by type. */
    public Map<PiiType, Integer> counts() {
        return counts;
    }
}
