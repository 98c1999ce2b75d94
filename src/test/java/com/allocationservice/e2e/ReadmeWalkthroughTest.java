package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.support.Closing;
import com.allocationservice.support.OpenApiContract;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the README's walk-through, as written, against the built jar started the way the README
 * starts it (no configuration: embedded H2 in the working directory), and checks every answer the
 * README shows, body and status, and checks each against the OpenAPI document too.
 */
class ReadmeWalkthroughTest {

    private static final Pattern URL = Pattern.compile("localhost:\\d+(/[^\\s']*)");
    private static final Pattern EXPECTED = Pattern.compile("^# (.+?)\\s+\\((\\d{3})\\)$");

    @TempDir
    Path workDir;

    private ServiceProcess service;

    @BeforeEach
    void start_the_service_with_embedded_defaults() {
        service = ServiceProcess.start(workDir, Map.of());
    }

    @AfterEach
    void stop() {
        Closing.all(service);
    }

    @Test
    void every_command_of_the_readme_walkthrough_answers_as_the_readme_says() throws Exception {
        List<String[]> steps = walkthrough();
        assertThat(steps).hasSizeGreaterThanOrEqualTo(10);
        for (String[] step : steps) {
            String command = step[0].replace("localhost:8080", "localhost:" + service.port());
            Process curl = new ProcessBuilder("bash", "-c", command + " -w '\\n%{http_code} %{content_type}'")
                    .redirectErrorStream(true).start();
            String[] output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                    .strip().split("\n");
            assertThat(curl.waitFor()).as(command).isZero();
            String[] statusAndType = output[output.length - 1].split(" ", 2);
            assertThat(output[0]).as(command).isEqualTo(step[1]);
            assertThat(statusAndType[0]).as(command).isEqualTo(step[2]);
            Matcher url = URL.matcher(command);
            assertThat(url.find()).as(command).isTrue();
            OpenApiContract.check(command.contains("-X POST") ? "POST" : "GET", URI.create("http://localhost" + url.group(1)),
                    Integer.parseInt(statusAndType[0]), statusAndType.length > 1 ? statusAndType[1] : null, List.of(), output[0]);
        }
        assertThat(workDir.resolve("data")).as("the embedded database lives under ./data").isDirectory();
    }

    /** Each curl command of the README's sh block with the body and status the comment under it shows. */
    private static List<String[]> walkthrough() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("```sh\n") + 6;
        String block = readme.substring(start, readme.indexOf("```", start));
        List<String[]> steps = new ArrayList<>();
        StringBuilder command = new StringBuilder();
        for (String line : block.split("\n")) {
            Matcher expected = EXPECTED.matcher(line);
            if (line.startsWith("curl") || (!command.isEmpty() && !line.startsWith("#"))) {
                command.append(line.endsWith("\\") ? line.substring(0, line.length() - 1) : line).append(' ');
            } else if (expected.matches() && !command.isEmpty()) {
                steps.add(new String[] {command.toString().strip(), expected.group(1), expected.group(2)});
                command.setLength(0);
            }
        }
        return steps;
    }

}
