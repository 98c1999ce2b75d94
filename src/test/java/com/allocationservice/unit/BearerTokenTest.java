package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.entrypoints.BearerToken;
import java.util.List;
import org.junit.jupiter.api.Test;

class BearerTokenTest {

    private final BearerToken token = new BearerToken("correct-horse-battery-staple");

    @Test
    void the_token_after_bearer_in_any_case_is_accepted() {
        assertThat(token.refusal("Bearer correct-horse-battery-staple")).isEmpty();
        assertThat(token.refusal("bearer correct-horse-battery-staple ")).isEmpty();
    }

    @Test
    void a_missing_malformed_or_wrong_header_is_refused_saying_why() {
        assertThat(token.refusal(null)).contains("Missing 'Authorization: Bearer <token>' header");
        assertThat(token.refusal(" ")).contains("Missing 'Authorization: Bearer <token>' header");
        assertThat(token.refusal("Basic correct-horse-battery-staple")).contains("The Authorization header must be 'Bearer <token>'");
        assertThat(token.refusal("Bearer   ")).contains("The Authorization header must be 'Bearer <token>'");
        assertThat(token.refusal("Bearer correct-horse-battery-stapl")).contains("Invalid API token");
        assertThat(token.refusal("Bearer correct-horse-battery-staple2")).contains("Invalid API token");
    }

    @Test
    void a_wrong_token_of_the_right_length_is_refused_wherever_it_differs() {
        String right = "correct-horse-battery-staple";
        for (String wrong : List.of("xorrect-horse-battery-staple", "correct-horse-battery-staplx",
                "correct-horse_battery-staple", "CORRECT-HORSE-BATTERY-STAPLE", "x".repeat(right.length()))) {
            assertThat(wrong).hasSameSizeAs(right);
            assertThat(token.refusal("Bearer " + wrong)).as(wrong).contains("Invalid API token");
        }
    }
}
