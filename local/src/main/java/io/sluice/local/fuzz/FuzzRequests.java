package io.sluice.local.fuzz;

import io.sluice.schemas.Bounds;
import io.sluice.schemas.ChatRequest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A seeded generator of {@code chat.requests} records, valid ones mixed with adversarial ones:
 * sizes at and past every limit, every JSON type in every field, deep nesting, bytes that are not
 * UTF-8, control characters and lone surrogates, trailing content and duplicate keys, request and
 * conversation id collisions within and across tenants, bursts on one conversation, unknown tenants
 * and models. The same seed gives the same records, byte for byte.
 *
 * <p>Each case says what may come of it: an answer ({@link #ANSWER}) and/or rejection reasons.
 * Cases whose outcome depends on the others (a repeated id is a duplicate only if the first was
 * admitted; a burst fills the conversation's queue) allow each outcome that can be right.
 */
public final class FuzzRequests {

    /** The outcome "answered". */
    public static final String ANSWER = "ANSWER";

    /** Conversation ids both tenants use, so that they collide. */
    static final int SHARED_CONVERSATIONS = 40;

    /**
     * A request's identity, where its payload has one: what answers are matched by. A request that
     * brings its own history has the conversation {@link ChatRequest#CLIENT_CONVERSATION_PREFIX}
     * here: the job names it after its record, which the generator does not know.
     */
    public record TurnKey(String tenantId, String conversationId, String requestId) {

        /** The key of an answer or audit row, whose conversation id may be the one its record got. */
        public static TurnKey of(String tenantId, String conversationId, String requestId) {
            return new TurnKey(tenantId, conversationId.startsWith(ChatRequest.CLIENT_CONVERSATION_PREFIX)
                    ? ChatRequest.CLIENT_CONVERSATION_PREFIX : conversationId, requestId);
        }
    }

    /**
     * One record to send: its kind, Kafka key and payload (null: a tombstone), the turn it names (null
     * when its ids cannot be read as valid ids) and the outcomes that are right for it.
     */
    public record FuzzCase(int index, String kind, String key, byte[] payload, TurnKey turn, Set<String> expected) {}

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final SplittableRandom random;
    private final boolean remote;
    private final int maxMessageChars;
    private final int maxRequestBytes;
    private final List<FuzzCase> cases = new ArrayList<>();
    private final List<TurnKey> valid = new ArrayList<>();

    /**
     * @param maxMessageChars the tenants' message limit (sizes are generated at and past it)
     * @param maxRequestBytes the job's {@code sluice.requests.max-bytes}
     */
    private FuzzRequests(long seed, boolean remote, int maxMessageChars, int maxRequestBytes) {
        this.random = new SplittableRandom(seed);
        this.remote = remote;
        this.maxMessageChars = maxMessageChars;
        this.maxRequestBytes = maxRequestBytes;
    }

    /**
     * {@code count} cases (a burst may add a few more) generated from {@code seed}; with
     * {@code remote}, some valid requests name the answer model {@code remote}.
     */
    public static List<FuzzCase> generate(long seed, int count, boolean remote, int maxMessageChars,
            int maxRequestBytes) {
        FuzzRequests g = new FuzzRequests(seed, remote, maxMessageChars, maxRequestBytes);
        while (g.cases.size() < count) {
            g.next();
        }
        return List.copyOf(g.cases);
    }

    private void next() {
        int roll = random.nextInt(100);
        if (roll < 30) {
            valid("valid", conversation(), null);
        } else if (roll < 35) {
            clientHistory();
        } else if (roll < 40) {
            sameIdOtherTenant();
        } else if (roll < 45) {
            exactRepeat();
        } else if (roll < 48) {
            burst();
        } else if (roll < 58) {
            sizes();
        } else if (roll < 73) {
            types();
        } else if (roll < 75) {
            deep();
        } else if (roll < 85) {
            encodings();
        } else if (roll < 92) {
            syntax();
        } else {
            unknowns();
        }
    }

    private String tenant() {
        return FuzzCorpus.TENANTS.get(random.nextInt(FuzzCorpus.TENANTS.size()));
    }

    private String conversation() {
        return "c-" + random.nextInt(SHARED_CONVERSATIONS);
    }

    private String requestId() {
        return "fz-" + cases.size() + "-" + Integer.toHexString(random.nextInt(1 << 16));
    }

    private String question(String tenant) {
        List<String> questions = FuzzCorpus.questions();
        return questions.get(random.nextInt(questions.size())) + " (" + FuzzCorpus.mark(tenant) + ")";
    }

    private ObjectNode request(TurnKey turn, String message) {
        ObjectNode r = NODES.objectNode();
        r.put("requestId", turn.requestId()).put("tenantId", turn.tenantId())
                .put("conversationId", turn.conversationId()).put("message", message);
        return r;
    }

    private void add(String kind, String key, byte[] payload, TurnKey turn, Set<String> expected) {
        cases.add(new FuzzCase(cases.size(), kind, key, payload, turn, expected));
    }

    private void add(String kind, ObjectNode request, TurnKey turn, Set<String> expected) {
        add(kind, request.path("conversationId").asText("k"), bytes(request.toString()), turn, expected);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A valid request; with a remote answer model now and then. May wait behind a busy conversation. */
    private void valid(String kind, String conversationId, String model) {
        String tenant = tenant();
        TurnKey turn = new TurnKey(tenant, conversationId, requestId());
        ObjectNode r = request(turn, question(tenant));
        String answerModel = model != null ? model : random.nextInt(100) < 15 ? "remote" : null;
        if (!remote) {
            answerModel = null;
        }
        if (answerModel != null) {
            r.put("answerModel", answerModel);
        }
        valid.add(turn);
        add(kind, r, turn, Set.of(ANSWER, "CONVERSATION_BUSY"));
    }

    /**
     * A request without a conversation id that brings its earlier turns (the tenant's own text): valid,
     * or with too many turns, an unsafe character, a conversation id beside it, or not an array.
     */
    private void clientHistory() {
        String tenant = tenant();
        TurnKey turn = new TurnKey(tenant, ChatRequest.CLIENT_CONVERSATION_PREFIX, requestId());
        ObjectNode r = NODES.objectNode().put("requestId", turn.requestId()).put("tenantId", tenant)
                .put("message", question(tenant));
        ArrayNode history = r.putArray("history");
        int variant = random.nextInt(10);
        int turns = variant == 6 ? Bounds.MAX_CLIENT_TURNS + 1 : random.nextInt(5);
        for (int i = 0; i < turns; i++) {
            history.addObject().put("question", question(tenant)).put("answer", question(tenant));
        }
        switch (variant) {
            case 6 -> add("history-past-limit", "k", bytes(r.toString()), null, Set.of("FIELD_TOO_LONG"));
            case 7 -> {
                history.addObject().put("question", "q").put("answer", "a\u0000b");
                add("history-unsafe", "k", bytes(r.toString()), null, Set.of("INVALID_ENCODING"));
            }
            case 8 -> {
                r.put("conversationId", conversation());
                add("history-and-conversation", "k", bytes(r.toString()), null, Set.of("INVALID_FIELD"));
            }
            case 9 -> {
                r.put("history", "not turns");
                add("history-not-array", "k", bytes(r.toString()), null, Set.of("INVALID_FIELD"));
            }
            default -> {
                if (remote && random.nextInt(100) < 15) {
                    r.put("answerModel", "remote");
                }
                add("history-from-client", turn.requestId(), bytes(r.toString()), turn, Set.of(ANSWER));
            }
        }
    }

    /** Another tenant's request with the same conversation and request id: its own turn, answered. */
    private void sameIdOtherTenant() {
        if (valid.isEmpty()) {
            valid("valid", conversation(), null);
            return;
        }
        TurnKey earlier = valid.get(random.nextInt(valid.size()));
        String other = FuzzCorpus.TENANTS.get((FuzzCorpus.TENANTS.indexOf(earlier.tenantId()) + 1)
                % FuzzCorpus.TENANTS.size());
        TurnKey turn = new TurnKey(other, earlier.conversationId(), earlier.requestId());
        if (valid.contains(turn)) {
            exactRepeat();
            return;
        }
        valid.add(turn);
        add("same-id-other-tenant", request(turn, question(other)), turn, Set.of(ANSWER, "CONVERSATION_BUSY"));
    }

    /** The same request again: a duplicate if the first was admitted, else answered now. */
    private void exactRepeat() {
        if (valid.isEmpty()) {
            valid("valid", conversation(), null);
            return;
        }
        TurnKey turn = valid.get(random.nextInt(valid.size()));
        add("repeat", request(turn, question(turn.tenantId())), turn,
                Set.of("DUPLICATE_REQUEST", ANSWER, "CONVERSATION_BUSY"));
    }

    /** Twenty requests (to a remote model, if any) on one fresh conversation at once: some wait, some may be busy. */
    private void burst() {
        String conversationId = "burst-" + cases.size();
        for (int i = 0; i < 20; i++) {
            valid("burst", conversationId, "remote");
        }
    }

    private void sizes() {
        String tenant = tenant();
        TurnKey turn = new TurnKey(tenant, conversation(), requestId());
        switch (random.nextInt(6)) {
            case 0 -> add("message-at-limit", request(turn, fill(tenant, maxMessageChars)), turn,
                    Set.of(ANSWER, "CONVERSATION_BUSY"));
            case 1 -> add("message-past-limit", request(turn, fill(tenant, maxMessageChars + 1)), turn,
                    Set.of("FIELD_TOO_LONG"));
            case 2 -> {
                // The 600 KB request of the issue: a long conversation id and message, past the byte limit.
                ObjectNode r = request(new TurnKey(tenant, "x".repeat(300_000), turn.requestId()),
                        "y".repeat(Math.max(300_000, maxRequestBytes)));
                add("payload-past-limit", "k", bytes(r.toString()), null, Set.of("PAYLOAD_TOO_LARGE"));
            }
            case 3 -> {
                TurnKey longId = new TurnKey(tenant, conversation(), "r".repeat(128 - 6) + String.format("%06d",
                        cases.size() % 1_000_000));
                valid.add(longId);
                add("id-at-limit", request(longId, question(tenant)), longId, Set.of(ANSWER, "CONVERSATION_BUSY"));
            }
            case 4 -> add("id-past-limit", request(new TurnKey(tenant, turn.conversationId(), "r".repeat(129)),
                    question(tenant)), null, Set.of("INVALID_FIELD"));
            default -> {
                // 1,100 distinct words: retrieval must bound its query, not fail.
                StringBuilder words = new StringBuilder(question(tenant));
                for (int i = 0; words.length() < maxMessageChars - 12 && i < 1_100; i++) {
                    words.append(" w").append(Integer.toString(i, 36));
                }
                add("many-words", request(turn, words.toString()), turn, Set.of(ANSWER, "CONVERSATION_BUSY"));
            }
        }
    }

    /** A message of exactly {@code chars} characters after stripping (it ends in a letter). */
    private String fill(String tenant, int chars) {
        StringBuilder s = new StringBuilder(question(tenant));
        while (s.length() < chars) {
            s.append(" more");
        }
        s.setLength(chars);
        s.setCharAt(chars - 1, 'x');
        return s.toString();
    }

    /** A JSON value of each type, and what becomes of it in each field. */
    private static final String[] VALUES = {"null", "true", "false", "0", "-1", "1.5", "1e400", "\"\"", "\" \"",
        "[]", "{}", "[1,\"a\"]", "{\"a\":{\"b\":[]}}", "99999999999999999999", "\"ok\""};

    private void types() {
        String tenant = tenant();
        TurnKey turn = new TurnKey(tenant, conversation(), requestId());
        ObjectNode r = request(turn, question(tenant));
        String[] fields = {"requestId", "tenantId", "conversationId", "message", "answerModel", "parameters",
            "parameters.topK", "parameters.contextTokens"};
        String field = fields[random.nextInt(fields.length)];
        String value = VALUES[random.nextInt(VALUES.length)];
        // The value goes in as raw JSON text: a tree would write 1e400 as the string "Infinity".
        String placeholder = "@@value-" + cases.size() + "@@";
        if (field.startsWith("parameters.")) {
            r.putObject("parameters").put(field.substring(11), placeholder);
        } else {
            r.put(field, placeholder);
        }
        boolean required = List.of("requestId", "tenantId", "conversationId", "message").contains(field);
        boolean blank = value.equals("null") || value.equals("\"\"") || value.equals("\" \"");
        Set<String> expected;
        TurnKey key = null;
        if (field.equals("conversationId") && value.equals("null")) {
            // No conversation: the request brings its (empty) history, and is answered.
            key = new TurnKey(tenant, ChatRequest.CLIENT_CONVERSATION_PREFIX, turn.requestId());
            expected = Set.of(ANSWER);
        } else if (required) {
            expected = blank ? Set.of("MISSING_FIELD") : value.equals("\"ok\"") && field.equals("message")
                    ? Set.of(ANSWER, "CONVERSATION_BUSY") : value.equals("\"ok\"") && field.equals("tenantId")
                    ? Set.of("UNKNOWN_TENANT") : Set.of("INVALID_FIELD");
            if (value.equals("\"ok\"")) {
                String v = "ok";
                key = new TurnKey(field.equals("tenantId") ? v : turn.tenantId(),
                        field.equals("conversationId") ? v : turn.conversationId(),
                        field.equals("requestId") ? v + "-" + cases.size() : turn.requestId());
                expected = field.equals("tenantId") ? Set.of("UNKNOWN_TENANT") : Set.of(ANSWER, "CONVERSATION_BUSY");
                if (expected.contains(ANSWER)) {
                    valid.add(key);
                }
            }
        } else {
            key = turn;
            // Null is as good as absent; parameters may be any object (unknown keys are ignored).
            boolean harmless = value.equals("null") || (field.equals("parameters") && value.startsWith("{"));
            expected = harmless ? Set.of(ANSWER, "CONVERSATION_BUSY") : Set.of("INVALID_FIELD");
            if (harmless) {
                valid.add(turn);
            }
        }
        if (value.equals("\"ok\"") && field.equals("requestId")) {
            r.put("requestId", key.requestId());
        }
        String json = r.toString().replace("\"" + placeholder + "\"", value);
        // Keyed by the conversation the request names ("ok" when that is the value tried), as a later
        // repeat of it is: one partition, so the original is read first and the repeat is the duplicate.
        String kafkaKey = key != null && !key.conversationId().startsWith(ChatRequest.CLIENT_CONVERSATION_PREFIX)
                ? key.conversationId() : turn.conversationId();
        add("type:" + field + "=" + value, kafkaKey, bytes(json),
                expected.contains(ANSWER) || expected.contains("INVALID_FIELD") && !required ? key : null, expected);
    }

    private void deep() {
        String tenant = tenant();
        TurnKey turn = new TurnKey(tenant, conversation(), requestId());
        int depth = 20 + random.nextInt(5_000);
        String nested = "[".repeat(depth) + "]".repeat(depth);
        String payload = request(turn, question(tenant)).toString();
        payload = payload.substring(0, payload.length() - 1) + ",\"extra\":" + nested + "}";
        add("deep", turn.conversationId(), bytes(payload), null, Set.of("MALFORMED_JSON"));
    }

    private void encodings() {
        String tenant = tenant();
        TurnKey turn = new TurnKey(tenant, conversation(), requestId());
        String base = request(turn, "MARKER").toString();
        int at = base.indexOf("MARKER");
        byte[] head = bytes(base.substring(0, at));
        byte[] tail = bytes(base.substring(at + "MARKER".length()));
        byte[] middle;
        Set<String> expected = Set.of("INVALID_ENCODING");
        switch (random.nextInt(6)) {
            case 0 -> middle = new byte[] {'a', (byte) 0xC3, 0x28, 'b'}; // a lead byte without continuation
            case 1 -> middle = new byte[] {'a', (byte) 0xED, (byte) 0xA0, (byte) 0x80}; // an encoded surrogate
            case 2 -> middle = bytes("a\\u0000b"); // NUL, escaped
            case 3 -> middle = bytes("a\\u001bb"); // ESC, escaped
            case 4 -> middle = bytes("a\\ud800b"); // a lone surrogate, escaped
            default -> {
                middle = new byte[] {'a', 0x07, 'b'}; // a raw control byte inside a string: not JSON
                expected = Set.of("MALFORMED_JSON");
            }
        }
        byte[] payload = new byte[head.length + middle.length + tail.length];
        System.arraycopy(head, 0, payload, 0, head.length);
        System.arraycopy(middle, 0, payload, head.length, middle.length);
        System.arraycopy(tail, 0, payload, head.length + middle.length, tail.length);
        add("encoding", turn.conversationId(), payload, null, expected);
    }

    private void syntax() {
        String tenant = tenant();
        TurnKey turn = new TurnKey(tenant, conversation(), requestId());
        String request = request(turn, question(tenant)).toString();
        switch (random.nextInt(6)) {
            case 0 -> add("trailing-object", turn.conversationId(), bytes(request + " {}"), null, Set.of("MALFORMED_JSON"));
            case 1 -> add("trailing-garbage", turn.conversationId(), bytes(request + "x"), null, Set.of("MALFORMED_JSON"));
            case 2 -> add("duplicate-key", turn.conversationId(), bytes(request.substring(0, request.length() - 1)
                    + ",\"tenantId\":\"" + tenant + "\"}"), null, Set.of("MALFORMED_JSON"));
            case 3 -> add("not-json", "k", bytes("hello " + random.nextInt()), null, Set.of("MALFORMED_JSON"));
            case 4 -> add("empty", "k", new byte[0], null, Set.of("MALFORMED_JSON"));
            default -> add("tombstone", "k", null, null, Set.of("MALFORMED_JSON"));
        }
    }

    private void unknowns() {
        String tenant = tenant();
        TurnKey turn = new TurnKey(tenant, conversation(), requestId());
        if (random.nextBoolean()) {
            TurnKey stranger = new TurnKey("initech", turn.conversationId(), turn.requestId());
            add("unknown-tenant", request(stranger, question("initech")), null, Set.of("UNKNOWN_TENANT"));
        } else {
            add("unknown-model", request(turn, question(tenant)).put("answerModel", "gpt-99"), null,
                    Set.of("INVALID_FIELD"));
        }
    }
}
