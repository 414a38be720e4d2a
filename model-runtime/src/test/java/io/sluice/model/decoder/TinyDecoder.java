package io.sluice.model.decoder;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The tiny random decoder of {@code src/test/resources/tiny-decoder} (see its {@code generate.py}),
 * copied out of the classpath into a directory, as a user's model directory would be. Other modules'
 * tests get it through this module's test jar.
 */
public final class TinyDecoder {

    public static final String[] FILES = {"model.onnx", "tokenizer.json", "model-card.properties"};

    private TinyDecoder() {}

    /** Writes the model's files into {@code dir} and returns it. */
    public static Path extract(Path dir) {
        try {
            Files.createDirectories(dir);
            for (String file : FILES) {
                try (InputStream in = TinyDecoder.class.getClassLoader().getResourceAsStream("tiny-decoder/" + file)) {
                    if (in == null) {
                        throw new IOException("tiny-decoder/" + file + " is not on the classpath");
                    }
                    Files.copy(in, dir.resolve(file), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
