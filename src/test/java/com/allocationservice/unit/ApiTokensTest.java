package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.entrypoints.ApiTokens;
import com.allocationservice.entrypoints.Scope;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApiTokensTest {

    private static final String SHOP = "correct-horse-battery-staple";
    private static final String BUYER = "buyer-token-0123456789";

    private final ApiTokens tokens = ApiTokens.parse("""
            # the shop's front end
            shop allocate,read %s

              buyer   purchase   %s
            """.formatted(digest(SHOP), digest(BUYER)));

    @Test
    void a_file_gives_each_named_token_its_scopes_skipping_blank_lines_and_comments() {
        assertThat(tokens.names()).containsExactly("shop", "buyer");
        assertThat(known("Bearer " + SHOP).name()).isEqualTo("shop");
        assertThat(known("Bearer " + SHOP).scopes()).containsExactlyInAnyOrder(Scope.ALLOCATE, Scope.READ);
        assertThat(known("Bearer " + BUYER).name()).isEqualTo("buyer");
        assertThat(known("Bearer " + BUYER).scopes()).containsExactly(Scope.PURCHASE);
        assertThat(ApiTokens.parse("").names()).isEmpty();
        assertThat(ApiTokens.parse("# nothing yet\r\n\r\n").names()).isEmpty();
    }

    @Test
    void the_token_after_bearer_in_any_case_is_accepted() {
        assertThat(known("bearer " + SHOP + " ").name()).isEqualTo("shop");
        assertThat(known("BEARER " + SHOP).name()).isEqualTo("shop");
    }

    @Test
    void a_missing_malformed_or_wrong_header_is_refused_saying_why() {
        assertThat(refusal(null)).isEqualTo("Missing 'Authorization: Bearer <token>' header");
        assertThat(refusal(" ")).isEqualTo("Missing 'Authorization: Bearer <token>' header");
        assertThat(refusal("Basic " + SHOP)).isEqualTo("The Authorization header must be 'Bearer <token>'");
        assertThat(refusal("Bearer   ")).isEqualTo("The Authorization header must be 'Bearer <token>'");
        assertThat(refusal("Bearer " + SHOP.substring(1))).isEqualTo("Invalid API token");
        assertThat(refusal("Bearer " + SHOP + "2")).isEqualTo("Invalid API token");
        assertThat(refusal("Bearer " + digest(SHOP))).as("the digest is not the token").isEqualTo("Invalid API token");
        assertThat(refusal("Bearer " + digest(SHOP).substring("sha256:".length()))).isEqualTo("Invalid API token");
    }

    @Test
    void a_wrong_token_of_the_right_length_is_refused_wherever_it_differs() {
        for (String wrong : List.of("xorrect-horse-battery-staple", "correct-horse-battery-staplx",
                "correct-horse_battery-staple", "CORRECT-HORSE-BATTERY-STAPLE", "x".repeat(SHOP.length()))) {
            assertThat(wrong).hasSameSizeAs(SHOP);
            assertThat(refusal("Bearer " + wrong)).as(wrong).isEqualTo("Invalid API token");
        }
    }

    @Test
    void a_malformed_line_is_refused_naming_its_number_and_the_problem_never_the_digest() {
        String good = digest(SHOP);
        Map<String, String> problems = Map.ofEntries(
                Map.entry("shop read", "line 2: expected 'name scope[,scope...] sha256:<hex digest>', found 2 fields"),
                Map.entry("shop read " + good + " extra", "line 2: expected 'name scope[,scope...] sha256:<hex digest>', found 4 fields"),
                Map.entry("shop:1 read " + good, "line 2: the name must be 1 to 64 of A-Z a-z 0-9 . _ -"),
                Map.entry("s3cret+token/0123456789 read " + good, "line 2: the name must be 1 to 64 of A-Z a-z 0-9 . _ -"),
                Map.entry("shop s3cret-token-0123456789 " + good, "line 2: unknown scope (not a word: not quoted) (known:"
                        + " read,allocate,purchase,operate)"),
                Map.entry("buyer read " + good, "line 2: the name 'buyer' is given twice"),
                Map.entry("shop write " + good, "line 2: unknown scope 'write' (known: read,allocate,purchase,operate)"),
                Map.entry("shop read, " + good, "line 2: unknown scope '' (known: read,allocate,purchase,operate)"),
                Map.entry("shop read,,allocate " + good, "line 2: unknown scope '' (known: read,allocate,purchase,operate)"),
                Map.entry("shop Read " + good, "line 2: unknown scope 'Read' (known: read,allocate,purchase,operate)"),
                Map.entry("shop read " + SHOP, "line 2: the token must be given as 'sha256:' and 64 lower-case hex digits"
                        + " (its SHA-256 digest, never the token itself)"),
                Map.entry("shop read " + good.toUpperCase(), "line 2: the token must be given as 'sha256:' and 64"
                        + " lower-case hex digits (its SHA-256 digest, never the token itself)"),
                Map.entry("shop read " + good.substring(0, good.length() - 1), "line 2: the token must be given as"
                        + " 'sha256:' and 64 lower-case hex digits (its SHA-256 digest, never the token itself)"));
        problems.forEach((line, problem) -> {
            String file = "buyer purchase " + digest(BUYER) + "\n" + line + "\n";
            assertThatThrownBy(() -> ApiTokens.parse(file)).as(line).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(problem);
        });
    }

    @Test
    void a_new_token_is_32_random_bytes_in_base64url_and_its_line_holds_only_its_digest() {
        ApiTokens.NewToken one = ApiTokens.generate("shop", "allocate,read", new SecureRandom());
        ApiTokens.NewToken two = ApiTokens.generate("shop", "allocate,read", new SecureRandom());

        assertThat(one.token()).matches("[A-Za-z0-9_-]{43}").isNotEqualTo(two.token());
        assertThat(one.line()).isEqualTo("shop allocate,read " + digest(one.token())).doesNotContain(one.token());
        ApiTokens.Known known = (ApiTokens.Known) ApiTokens.parse(one.line()).identify("Bearer " + one.token());
        assertThat(known.token().name()).isEqualTo("shop");
        assertThat(known.token().scopes()).containsExactlyInAnyOrder(Scope.ALLOCATE, Scope.READ);
        assertThatThrownBy(() -> ApiTokens.generate("shop front", "read", new SecureRandom()))
                .hasMessageContaining("found 4 fields");
        assertThatThrownBy(() -> ApiTokens.generate("shop", "admin", new SecureRandom()))
                .hasMessageContaining("unknown scope 'admin'");
    }

    @Test
    void the_single_token_has_every_scope_and_its_name_must_stay_unique() {
        ApiTokens all = tokens.with(ApiTokens.everyScope("api-token", "s3cret-token-0123456789"));

        assertThat(known(all, "Bearer s3cret-token-0123456789").scopes()).isEqualTo(EnumSet.allOf(Scope.class));
        assertThat(known(all, "Bearer " + SHOP).name()).isEqualTo("shop");
        assertThatThrownBy(() -> tokens.with(ApiTokens.everyScope("shop", "another-token-0123456789")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private ApiTokens.Token known(String authorization) {
        return known(tokens, authorization);
    }

    private static ApiTokens.Token known(ApiTokens tokens, String authorization) {
        assertThat(tokens.identify(authorization)).as(authorization).isInstanceOf(ApiTokens.Known.class);
        return ((ApiTokens.Known) tokens.identify(authorization)).token();
    }

    private String refusal(String authorization) {
        assertThat(tokens.identify(authorization)).as(authorization).isInstanceOf(ApiTokens.Refused.class);
        return ((ApiTokens.Refused) tokens.identify(authorization)).why();
    }

    /** As the tokens file writes it: sha256:<hex>. */
    static String digest(String token) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
