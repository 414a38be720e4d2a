package io.sluice.gateway;

import io.sluice.jobs.testing.Await;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ReadDeadlines} on a real Vert.x server, spoken to over plain sockets so that the client
 * can be as slow as an attacker: a connection that sends nothing, or a body a byte at a time, is
 * closed, while a client that sends its requests in time is served for as long as it likes, and an
 * answer that takes longer than the deadline is not cut off.
 */
class ReadDeadlinesTest {

    private static final Duration DEADLINE = Duration.ofMillis(1_000);
    /** How long a socket read may block: far past the deadline, so a missing close fails the test. */
    private static final int READ_LIMIT_MILLIS = 15_000;

    private Vertx vertx;
    private HttpServer server;
    private ReadDeadlines deadlines;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        deadlines = new ReadDeadlines(vertx, DEADLINE);
        Router router = Router.router(vertx);
        router.route().handler(deadlines::arrived);
        router.post("/echo").handler(BodyHandler.create()).handler(ctx -> ctx.response().end(ctx.body().asString()));
        // Answers after three deadlines have passed, as a slow model would.
        router.get("/slow").handler(ctx -> vertx.setTimer(3 * DEADLINE.toMillis(), t -> ctx.response().end("late")));
        server = vertx.createHttpServer(ReadDeadlines.http1(new HttpServerOptions()));
        deadlines.watch(server);
        server.requestHandler(router).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", server.actualPort());
        socket.setSoTimeout(READ_LIMIT_MILLIS);
        return socket;
    }

    private static void send(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Everything the server sends until it closes the connection. */
    private static String readToClose(Socket socket) throws IOException {
        return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    }

    /** One response, read up to its body of {@code bodyLength} bytes. */
    private static String readResponse(Socket socket, int bodyLength) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after " + head.toString(StandardCharsets.US_ASCII));
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.US_ASCII)
                + new String(in.readNBytes(bodyLength), StandardCharsets.US_ASCII);
    }

    private static String post(String body) {
        return "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    }

    @Test
    void aConnectionThatSendsNothingIsClosed() throws Exception {
        try (Socket socket = connect()) {
            long start = System.nanoTime();
            assertThat(socket.getInputStream().read()).as("end of stream").isEqualTo(-1);
            System.out.printf("closed after %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        }
        // The server forgets it in its close handler, which may run after the client saw the end.
        Await.until("the closed connection forgotten", Duration.ofSeconds(10), () -> deadlines.open() == 0);
    }

    @Test
    void aHeadSentByteByByteIsCutOffAtTheDeadline() throws Exception {
        String head = "GET /slow HTTP/1.1\r\nHost: t\r\nX-Padding: " + "p".repeat(40) + "\r\n\r\n";
        int sent = 0;
        IOException cut = null;
        try (Socket socket = connect()) {
            // A byte every 100 ms: the head would take seven deadlines to arrive.
            for (char c : head.toCharArray()) {
                send(socket, String.valueOf(c));
                sent++;
                Thread.sleep(100);
            }
        } catch (IOException e) {
            cut = e;
        }
        assertThat(cut).as("a write failing on the closed connection").isNotNull();
        assertThat(sent).as("bytes of the head sent").isLessThan(head.length());
    }

    @Test
    void aBodySentTooSlowlyGets408AndTheConnectionCloses() throws Exception {
        try (Socket socket = connect()) {
            send(socket, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly part of it");
            String response = readToClose(socket);
            assertThat(response).startsWith("HTTP/1.1 408").contains("request_timeout");
        }
    }

    @Test
    void requestsSentInTimeAreServedOnOneConnectionPastTheDeadline() throws Exception {
        try (Socket socket = connect()) {
            long start = System.nanoTime();
            for (int i = 0; i < 4; i++) {
                send(socket, post("turn-" + i));
                assertThat(readResponse(socket, 6)).startsWith("HTTP/1.1 200").endsWith("turn-" + i);
                Thread.sleep(DEADLINE.toMillis() * 2 / 5); // the client's pace: each request within the deadline
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(DEADLINE);
            // Idle after its last response: closed once the deadline passes.
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void anAnswerSlowerThanTheDeadlineIsNotCutOff() throws Exception {
        try (Socket socket = connect()) {
            send(socket, "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(readResponse(socket, 4)).startsWith("HTTP/1.1 200").endsWith("late");
        }
    }

}
