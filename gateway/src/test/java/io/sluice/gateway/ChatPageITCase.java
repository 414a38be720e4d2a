package io.sluice.gateway;

import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;

import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chat page in a real browser: Debian's headless Chromium driven by Selenium through its
 * chromedriver, against a gateway in front of a real serving job. A question's answer streams into
 * the page, citations become footnotes, timings open on demand, the layout fits a phone, a revoked
 * key shows the error line, and hostile text stays text. Screenshots go to {@code target/chat-page/}.
 *
 * <p>Without Chromium and chromedriver the test is skipped with how to install them; under CI
 * (CI=true), where {@code .ci/run} installs both, it fails instead.
 */
class ChatPageITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).setConfiguration(TestClusters.rocksDb()).build());

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final Path SCREENSHOTS = Path.of("target", "chat-page");

    @TempDir
    static Path work;

    private static ServingBehindGateway serving;
    private static Gateway gateway;
    private static ChromeDriver browser;
    private static String demoKey;

    @BeforeAll
    static void start() throws Exception {
        Optional<Path> chromium = onPath("chromium", "chromium-browser");
        Optional<Path> driver = onPath("chromedriver");
        if (chromium.isEmpty() || driver.isEmpty()) {
            String how = "The chat page test needs Chromium and chromedriver on the PATH; on Debian or Ubuntu: "
                    + "sudo apt-get install chromium chromium-driver";
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(how + " (.ci/run installs them; under CI the test does not skip)");
            }
            Assumptions.abort(how);
        }
        serving = ServingBehindGateway.start(work, 1);
        demoKey = serving.createKey(TestCorpus.ACME, "demo");
        gateway = Gateway.start(serving.gateway(0).answerTimeout(WAIT).keyCacheTtl(Duration.ofMillis(300))
                .demoKey(demoKey).build());
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.get().toFile());
        // Headless, and nothing that phones home: this machine's network is closed.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + Files.createDirectories(work.resolve("chromium")));
        // A driver named explicitly: Selenium Manager (which would download one) never runs.
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.get().toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        for (AutoCloseable c : new AutoCloseable[] {gateway, serving}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static Optional<Path> onPath(String... names) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            for (String name : names) {
                Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /** A fresh page: nobody signed in, no conversations kept. */
    @BeforeEach
    void freshPage() {
        browser.manage().window().setSize(new Dimension(1280, 860));
        // Cleared from a document of the same origin that runs no script, so no page can write them back.
        browser.get(url() + "config.json");
        browser.executeScript("sessionStorage.clear(); localStorage.clear();");
        browser.get(url());
        waitFor("the sign-in form", () -> visible("key"));
    }

    private static String url() {
        return "http://127.0.0.1:" + gateway.port() + "/chat/";
    }

    @Test
    void anAnswerStreamsInWithFootnotesAndARevokedKeyShowsTheErrorLine() throws Exception {
        String key = serving.createKey(TestCorpus.ACME, "browser");
        signIn(key);
        assertThat(byId("tenant").getText()).contains(TestCorpus.ACME);
        new Select(byId("model")).selectByValue("remote");

        // The stand-in echoes the question 150 ms a word: the page must show the answer growing. The
        // page itself records what the pending answer showed after every change (a MutationObserver),
        // so a slow WebDriver poll cannot miss the growth: only the first words grow one by one, the
        // answer redactor holds the last 64 characters back until the end.
        ((JavascriptExecutor) browser).executeScript("""
                window.lengthsWhilePending = [];
                new MutationObserver(() => {
                  const answers = document.querySelectorAll('#messages .answer');
                  const answer = answers[answers.length - 1];
                  const length = answer ? answer.innerText.length : 0;
                  if (answer && answer.classList.contains('pending') && length > 0
                      && !window.lengthsWhilePending.includes(length)) {
                    window.lengthsWhilePending.push(length);
                  }
                }).observe(document.getElementById('messages'),
                    {subtree: true, childList: true, characterData: true, attributes: true});
                """);
        String question = "Please tell me step by step and in plain words how refunds are paid back to my card";
        ask(question);
        Await.until("the answer to finish streaming", WAIT, () -> !lastAnswer().getAttribute("class").contains("pending"));
        Object lengthsWhilePending = ((JavascriptExecutor) browser).executeScript("return window.lengthsWhilePending");
        System.out.println("answer lengths seen while streaming: " + lengthsWhilePending);
        assertThat((List<?>) lengthsWhilePending).as("distinct lengths of the answer seen while it streamed (answer: "
                + "'%s', error line: '%s')", lastAnswer().getText(), byId("error").getText()).hasSizeGreaterThan(2);
        WebElement answer = lastAnswer();
        assertThat(answer.getText()).startsWith("You said: " + question);

        // [1] links to a footnote with the cited document's title and chunk.
        WebElement marker = answer.findElement(By.cssSelector("sup a"));
        assertThat(marker.getText()).isEqualTo("[1]");
        List<WebElement> notes = answer.findElements(By.cssSelector(".footnotes li"));
        assertThat(notes).isNotEmpty();
        assertThat(notes.get(0).getText()).contains("Refund policy").contains("acme-refunds");
        assertThat(marker.getAttribute("href")).endsWith("#" + notes.get(0).getAttribute("id"));

        // Timings on demand.
        WebElement timings = answer.findElement(By.cssSelector("details.meta"));
        assertThat(timings.findElements(By.cssSelector("tr")).stream().filter(WebElement::isDisplayed)).isEmpty();
        timings.findElement(By.tagName("summary")).click();
        assertThat(timings.getText()).contains("retrieve").contains("answer").contains("ms");
        screenshot("answer-desktop");

        // On a phone the conversation list folds behind the menu button.
        browser.manage().window().setSize(new Dimension(390, 844));
        waitFor("the menu button on a narrow window", () -> visible("menu"));
        waitFor("the conversation list to fold away", () -> byId("sidebar").getRect().getX()
                + byId("sidebar").getRect().getWidth() <= 0);
        assertThat(byId("composer").getRect().getWidth()).isLessThanOrEqualTo(390);
        screenshot("answer-phone");
        byId("menu").click();
        waitFor("the conversation list to slide in", () -> byId("sidebar").getRect().getX() >= 0);
        assertThat(byId("conversations").getText()).contains("Please tell me step by step");
        byId("close-menu").click();
        waitFor("the conversation list to fold away again", () -> byId("sidebar").getRect().getX()
                + byId("sidebar").getRect().getWidth() <= 0);

        // Revoked: once the gateway refuses the key, the page says so on its error line.
        assertThat(serving.revoke(key)).isTrue();
        HttpClient http = HttpClient.newHttpClient();
        Await.until("the gateway to refuse the revoked key", WAIT, () -> http.send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + gateway.port() + "/v1/models")).header("Authorization", "Bearer " + key).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode() == 401);
        ask("And how long does shipping take?");
        waitFor("the error line", () -> visible("error"));
        assertThat(byId("error").getText()).contains("401").contains("not accepted");
        screenshot("revoked-key-phone");
    }

    @Test
    void theDemoLoginSignsInAndHostileTextStaysText() throws Exception {
        assertThat(visible("demo-login")).as("the demo login button").isTrue();
        byId("demo-login").click();
        waitFor("the chat view", () -> visible("question"));
        String hostile = "<img src=x onerror=\"window.hacked=1\"> What does the warranty cover?";
        ask(hostile);
        waitFor("an answer", () -> !lastAnswer().getAttribute("class").contains("pending")
                && !lastAnswer().getText().isEmpty());
        List<WebElement> questions = browser.findElements(By.cssSelector(".question"));
        assertThat(questions.get(questions.size() - 1).getText()).isEqualTo(hostile);
        assertThat(browser.findElements(By.cssSelector("#messages img"))).isEmpty();
        assertThat(((JavascriptExecutor) browser).executeScript("return window.hacked === undefined")).isEqualTo(true);
        assertThat(lastAnswer().getText()).containsIgnoringCase("warranty");
        // A reload keeps the session and the conversation.
        browser.navigate().refresh();
        waitFor("the conversation after a reload", () -> visible("question")
                && byId("messages").getText().contains(hostile));
    }

    private void signIn(String key) {
        byId("key").sendKeys(key);
        byId("sign-in").click();
        waitFor("the chat view", () -> visible("question"));
    }

    private void ask(String question) {
        byId("question").sendKeys(question);
        byId("send").click();
    }

    private static WebElement lastAnswer() {
        List<WebElement> answers = browser.findElements(By.cssSelector(".answer"));
        return answers.get(answers.size() - 1);
    }

    private static WebElement byId(String id) {
        return browser.findElement(By.id(id));
    }

    private static boolean visible(String id) {
        List<WebElement> found = browser.findElements(By.id(id));
        return !found.isEmpty() && found.get(0).isDisplayed();
    }

    private static void waitFor(String what, java.util.function.BooleanSupplier condition) {
        try {
            Await.until(what, WAIT, condition::getAsBoolean);
        } catch (Exception | AssertionError e) {
            screenshot("failed-" + what.replaceAll("[^A-Za-z0-9]+", "-"));
            throw new AssertionError("Waiting for " + what + " on " + browser.getCurrentUrl() + ", which shows:\n"
                    + browser.findElement(By.tagName("body")).getText(), e);
        }
    }

    private static void screenshot(String name) {
        try {
            Files.write(SCREENSHOTS.resolve(name + ".png"), browser.getScreenshotAs(OutputType.BYTES));
        } catch (Exception e) {
            System.out.println("no screenshot " + name + ": " + e);
        }
    }
}
