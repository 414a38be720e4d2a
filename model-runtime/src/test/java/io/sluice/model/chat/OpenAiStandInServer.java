package io.sluice.model.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for a remote GPU model server: a real HTTP/1.1 server on a loopback port chosen by
 * the OS, answering {@code POST /v1/chat/completions} with OpenAI's streaming wire format
 * (server-sent events in a chunked body, a usage chunk, {@code data: [DONE]}). The requested model
 * name selects a behaviour:
 * <ul>
 *   <li>{@code echo} (and any name not listed): answers "You said: &lt;last user message&gt;" word
 *       by word; when the message is a compiled Sluice context, only its question is echoed, and
 *       " [1]" is added when the context has a first source; a question with {@link #LEAK} gets an
 *       email address and a phone number made up after it;
 *   <li>{@code slow}: {@code echo}, with 150 ms before every piece (a busy GPU server);
 *   <li>{@code flaky}: 503 for the first two attempts, then {@code echo};
 *   <li>{@code limited}: 429 with {@code Retry-After: 0} once, then {@code echo};
 *   <li>{@code invalid}: 400 with an OpenAI error body, always;
 *   <li>{@code drop}: two pieces of text, then the connection is cut mid-body;
 *   <li>{@code stall}: one piece of text, then silence for two seconds;
 *   <li>{@code unfinished}: text and {@code [DONE]} but no finish reason;
 *   <li>{@code drip}: a 200 response whose body then arrives one byte a second, for as long as the
 *       client reads (never stalls long enough for a read timeout; only a total timeout ends it);
 *   <li>{@code gate}: waits while the test holds the gate shut ({@link #closeGate}, {@link #openGate});
 *       then {@code echo}, or, after {@link #failEveryOther}, 400 for every other request it lets
 *       through;
 *   <li>{@code outage}: 503 while the test says the backend is down ({@link #down}), then {@code echo}.
 * </ul>
 * A request whose last message is the assistant's (the start of an answer another model broke off)
 * gets the rest of the answer that starts with it, or the whole answer if it does not.
 * Raw sockets, not a server library, so that a dropped stream is a real transport failure.
 */
public final class OpenAiStandInServer implements AutoCloseable {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final ServerSocket socket;
    private final Thread acceptor;
    private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    /** Every request body received, in arrival order. */
    public final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    /** The Authorization header of every request, in arrival order ("" where there was none). */
    public final List<String> authorizations = new CopyOnWriteArrayList<>();

    private volatile java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(0);
    private volatile boolean failEveryOther;
    private final AtomicInteger throughGate = new AtomicInteger();
    private volatile boolean down = true;

    /** Whether the {@code outage} model answers 503 (from the start) or echoes. */
    public void down(boolean isDown) {
        down = isDown;
    }

    /** Holds every {@code gate} request that arrives from now on until {@link #openGate}. */
    public void closeGate() {
        gate = new java.util.concurrent.CountDownLatch(1);
    }

    /** Lets the held {@code gate} requests (and later ones) through. */
    public void openGate() {
        gate.countDown();
    }

    /** Whether every other {@code gate} request let through fails (400, not retried). */
    public void failEveryOther(boolean fail) {
        failEveryOther = fail;
    }

    public OpenAiStandInServer() throws IOException {
        socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::acceptLoop, "openai-stand-in-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + socket.getLocalPort() + "/v1";
    }

    public int attempts(String model) {
        return attempts.getOrDefault(model, new AtomicInteger()).get();
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            try {
                Socket connection = socket.accept();
                Thread t = new Thread(() -> serve(connection), "openai-stand-in-connection");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket connection) {
        try (connection) {
            InputStream in = new BufferedInputStream(connection.getInputStream());
            OutputStream out = connection.getOutputStream();
            while (true) { // keep-alive: one request after another on this connection
                String requestLine = readLine(in);
                if (requestLine == null || requestLine.isEmpty()) {
                    return;
                }
                int length = 0;
                String authorization = "";
                for (String h = readLine(in); h != null && !h.isEmpty(); h = readLine(in)) {
                    if (h.toLowerCase().startsWith("content-length:")) {
                        length = Integer.parseInt(h.substring(15).strip());
                    } else if (h.toLowerCase().startsWith("authorization:")) {
                        authorization = h.substring(14).strip();
                    }
                }
                authorizations.add(authorization);
                byte[] body = in.readNBytes(length);
                if (!requestLine.startsWith("POST ") || !requestLine.contains("/v1/chat/completions")) {
                    respond(out, 404, Map.of(), "{\"error\":{\"message\":\"not found\"}}");
                    continue;
                }
                JsonNode request = MAPPER.readTree(body);
                requests.add(request);
                if (!answer(request, out)) {
                    return;
                }
            }
        } catch (IOException | InterruptedException e) {
            // the client went away, or the scenario cut the connection
        }
    }

    /** Returns whether the connection may serve another request. */
    private boolean answer(JsonNode request, OutputStream out) throws IOException, InterruptedException {
        String model = request.path("model").asText();
        int attempt = attempts.computeIfAbsent(model, m -> new AtomicInteger()).incrementAndGet();
        String error = "{\"error\":{\"message\":\"%s\",\"type\":\"%s\",\"code\":null,\"param\":null}}";
        switch (model) {
            case "flaky" -> {
                if (attempt <= 2) {
                    respond(out, 503, Map.of(), error.formatted("overloaded", "server_error"));
                    return true;
                }
            }
            case "outage" -> {
                if (down) {
                    respond(out, 503, Map.of(), error.formatted("backend down", "server_error"));
                    return true;
                }
            }
            case "limited" -> {
                if (attempt == 1) {
                    respond(out, 429, Map.of("Retry-After", "0"), error.formatted("slow down", "rate_limit"));
                    return true;
                }
            }
            case "invalid" -> {
                respond(out, 400, Map.of(), error.formatted("messages must not be empty", "invalid_request_error"));
                return true;
            }
            case "gate" -> {
                gate.await();
                if (failEveryOther && throughGate.incrementAndGet() % 2 == 0) {
                    respond(out, 400, Map.of(), error.formatted("refused on purpose", "invalid_request_error"));
                    return true;
                }
            }
            default -> { }
        }
        JsonNode messages = request.path("messages");
        JsonNode lastMessage = messages.get(messages.size() - 1);
        String text;
        String last;
        if ("assistant".equals(lastMessage.path("role").asText()) && messages.size() > 1) {
            // The start of the answer, from a model that failed: continue it where it stopped.
            String start = lastMessage.path("content").asText();
            last = messages.get(messages.size() - 2).path("content").asText();
            String whole = reply(last);
            text = whole.startsWith(start) ? whole.substring(start.length()) : whole;
        } else {
            last = lastMessage.path("content").asText();
            text = reply(last);
        }
        // Pieces as a tokenizer gives them: each word with the space before it.
        String[] words = text.split("(?= )");

        out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        if (model.equals("drip")) {
            byte[] event = ("data: " + chunk(model, "drip", null) + "\n\n").getBytes(StandardCharsets.UTF_8);
            for (int i = 0; ; i = (i + 1) % event.length) {
                // Each byte its own HTTP chunk, so the client's reader sees a byte a second.
                out.write(("1\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(event[i]);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Thread.sleep(1000);
            }
        }
        for (int i = 0; i < words.length; i++) {
            if (model.equals("slow")) {
                Thread.sleep(150);
            }
            event(out, chunk(model, words[i], null));
            if (model.equals("drop") && i == 1) {
                return false; // cut: no terminating chunk, the socket closes
            }
            if (model.equals("stall") && i == 0) {
                Thread.sleep(2000);
                return false;
            }
        }
        if (!model.equals("unfinished")) {
            event(out, chunk(model, null, "stop"));
        }
        ObjectNode usage = base(model);
        usage.putArray("choices");
        usage.putObject("usage").put("prompt_tokens", last.split(" ").length + 3)
                .put("completion_tokens", words.length).put("total_tokens", last.split(" ").length + 3 + words.length);
        event(out, usage.toString());
        event(out, "[DONE]");
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return true;
    }

    private static String reply(String message) {
        int question = message.lastIndexOf(QUESTION_OPEN);
        int end = message.lastIndexOf(QUESTION_CLOSE);
        if (question < 0 || end < question) {
            return "You said: " + message;
        }
        String asked = unescape(message.substring(question + QUESTION_OPEN.length(), end).strip())
                .replace('\n', ' ');
        return "You said: " + asked + (message.contains("\n<source n=\"1\">\n") ? " [1]" : "")
                + (asked.contains(LEAK) ? " Write to " + LEAKED_EMAIL + " or call " + LEAKED_PHONE + " today." : "");
    }

    /** A question containing this gets personal data made up in its answer, as a careless model might. */
    public static final String LEAK = "please make up contacts";
    public static final String LEAKED_EMAIL = "leak.test@example.com";
    public static final String LEAKED_PHONE = "+1 (555) 123-4567";

    /** How a compiled Sluice context (prompt v2) encloses the question. */
    private static final String QUESTION_OPEN = "<question>\n";
    private static final String QUESTION_CLOSE = "\n</question>";

    private static String unescape(String text) {
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    }

    private static ObjectNode base(String model) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("id", "chatcmpl-standin").put("object", "chat.completion.chunk").put("created", 1700000000L)
                .put("model", model);
        return node;
    }

    private static String chunk(String model, String content, String finishReason) {
        ObjectNode node = base(model);
        ObjectNode choice = node.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode delta = choice.putObject("delta");
        if (content != null) {
            delta.put("role", "assistant").put("content", content);
        }
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return node.toString();
    }

    private static void event(OutputStream out, String data) throws IOException {
        byte[] payload = ("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
        out.write((Integer.toHexString(payload.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(payload);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static void respond(OutputStream out, int status, Map<String, String> headers, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder("HTTP/1.1 " + status + " Status\r\nContent-Type: application/json\r\n");
        headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        head.append("Content-Length: ").append(bytes.length).append("\r\n\r\n");
        out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') {
                String s = line.toString(StandardCharsets.US_ASCII);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
