package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.domain.ChangeKey;
import com.allocationservice.domain.Command;
import com.allocationservice.entrypoints.BadRequest;
import com.allocationservice.entrypoints.CommandBodies;
import com.allocationservice.entrypoints.Fields;
import java.math.BigInteger;
import java.time.LocalDate;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** The checks a bound body's fields get after Jackson's, and the order each command body makes them in. */
class FieldsTest {

    private static void refused(ThrowingCallable check, String message) {
        assertThatThrownBy(check).isInstanceOf(BadRequest.class).hasMessage(message);
    }

    @Test
    void text_is_a_non_blank_string_of_at_most_255_printable_characters() {
        assertThat(Fields.text("sku", "LAMP")).isEqualTo("LAMP");
        assertThat(Fields.text("sku", "x".repeat(255))).hasSize(255);
        assertThat(Fields.text("sku", "\ud83d\ude00")).isEqualTo("\ud83d\ude00");
        refused(() -> Fields.text("sku", null), "Field 'sku' is required");
        refused(() -> Fields.text("sku", ""), "Field 'sku' must not be empty");
        refused(() -> Fields.text("sku", "  "), "Field 'sku' must not be empty");
        refused(() -> Fields.text("sku", "x".repeat(256)), "Field 'sku' must be at most 255 characters");
        String emoji = "\ud83d\ude00";   // one character, two UTF-16 units
        assertThat(Fields.text("sku", emoji.repeat(255))).isEqualTo(emoji.repeat(255));
        assertThat(Fields.text("sku", "x" + emoji.repeat(254))).hasSize(509);
        refused(() -> Fields.text("sku", emoji.repeat(256)), "Field 'sku' must be at most 255 characters");
        refused(() -> Fields.text("sku", "x" + emoji.repeat(255)), "Field 'sku' must be at most 255 characters");
        refused(() -> Fields.text("sku", "a\u0000b"), "Field 'sku' must not contain control characters");
        refused(() -> Fields.text("sku", "a\nb"), "Field 'sku' must not contain control characters");
        refused(() -> Fields.text("sku", "a\u007fb"), "Field 'sku' must not contain control characters");
        refused(() -> Fields.text("sku", "a\ud800"), "Field 'sku' must be valid Unicode text, not a lone surrogate");
        refused(() -> Fields.text("sku", "a\udc00b"), "Field 'sku' must be valid Unicode text, not a lone surrogate");
    }

    @Test
    void optional_text_is_null_when_absent_and_checked_like_text_otherwise() {
        assertThat(Fields.optionalText("id", null)).isNull();
        assertThat(Fields.optionalText("id", "m1")).isEqualTo("m1");
        refused(() -> Fields.optionalText("id", ""), "Field 'id' must not be empty");
    }

    @Test
    void an_integer_is_required_and_from_its_minimum_to_the_largest_int() {
        assertThat(Fields.integer("qty", BigInteger.ONE, 1)).isEqualTo(1);
        assertThat(Fields.integer("qty", BigInteger.ZERO, 0)).isZero();
        assertThat(Fields.integer("qty", BigInteger.valueOf(Integer.MAX_VALUE), 1)).isEqualTo(Integer.MAX_VALUE);
        refused(() -> Fields.integer("qty", null, 1), "Field 'qty' is required");
        refused(() -> Fields.integer("qty", BigInteger.ZERO, 1), "Field 'qty' must be from 1 to 2147483647, was 0");
        refused(() -> Fields.integer("qty", BigInteger.valueOf(-1), 0), "Field 'qty' must be from 0 to 2147483647, was -1");
        refused(() -> Fields.integer("qty", new BigInteger("2147483648"), 1), "Field 'qty' must be from 1 to 2147483647, was 2147483648");
        refused(() -> Fields.integer("qty", new BigInteger("-2147483649"), 0), "Field 'qty' must be from 0 to 2147483647, was -2147483649");
        refused(() -> Fields.integer("qty", new BigInteger("123456789012345678901234567890"), 1),
                "Field 'qty' must be from 1 to 2147483647, was 123456789012345678901234567890");
    }

    @Test
    void an_optional_whole_number_is_null_when_absent_and_from_zero_to_the_largest_long() {
        assertThat(Fields.optionalWholeNumber("seq", null)).isNull();
        assertThat(Fields.optionalWholeNumber("seq", BigInteger.ZERO)).isZero();
        assertThat(Fields.optionalWholeNumber("seq", BigInteger.valueOf(Long.MAX_VALUE))).isEqualTo(Long.MAX_VALUE);
        refused(() -> Fields.optionalWholeNumber("seq", BigInteger.valueOf(-1)), "Field 'seq' must be from 0 to 9223372036854775807, was -1");
        refused(() -> Fields.optionalWholeNumber("seq", new BigInteger("9223372036854775808")),
                "Field 'seq' must be from 0 to 9223372036854775807, was 9223372036854775808");
    }

    @Test
    void each_command_body_checks_its_fields_into_its_command() {
        BigInteger two = BigInteger.TWO;
        LocalDate eta = LocalDate.of(2031, 1, 1);
        assertThat(new CommandBodies.AddBatch("b1", "LAMP", two, eta).command()).isEqualTo(new Command.CreateBatch("b1", "LAMP", 2, eta));
        assertThat(new CommandBodies.Allocate("o1", "LAMP", two).command()).isEqualTo(new Command.Allocate("o1", "LAMP", 2));
        assertThat(new CommandBodies.Deallocate("o1", "LAMP").command()).isEqualTo(new Command.Deallocate("o1", "LAMP"));
        assertThat(new CommandBodies.ChangeBatchQuantity("b1", BigInteger.ZERO, null).command())
                .isEqualTo(new Command.ChangeBatchQuantity("b1", 0, null));
        assertThat(new CommandBodies.ChangeBatchQuantity("b1", two, BigInteger.valueOf(7)).command())
                .isEqualTo(new Command.ChangeBatchQuantity("b1", 2, ChangeKey.of(7)));
    }

    @Test
    void a_command_body_with_several_faults_is_refused_for_the_first_in_its_order() {
        refused(() -> new CommandBodies.AddBatch(null, null, null, null).command(), "Field 'ref' is required");
        refused(() -> new CommandBodies.AddBatch("b1", null, null, null).command(), "Field 'sku' is required");
        refused(() -> new CommandBodies.AddBatch("b1", "LAMP", BigInteger.ZERO, null).command(), "Field 'qty' must be from 1 to 2147483647, was 0");
        refused(() -> new CommandBodies.Allocate(null, null, null).command(), "Field 'sku' is required");
        refused(() -> new CommandBodies.Allocate(null, "LAMP", null).command(), "Field 'orderid' is required");
        refused(() -> new CommandBodies.Allocate("o1", "LAMP", BigInteger.ZERO).command(), "Field 'qty' must be from 1 to 2147483647, was 0");
        refused(() -> new CommandBodies.Deallocate(null, null).command(), "Field 'orderid' is required");
        refused(() -> new CommandBodies.Deallocate("o1", null).command(), "Field 'sku' is required");
        refused(() -> new CommandBodies.ChangeBatchQuantity(null, null, BigInteger.valueOf(-1)).command(),
                "Field 'seq' must be from 0 to 9223372036854775807, was -1");
        refused(() -> new CommandBodies.ChangeBatchQuantity(null, null, null).command(), "Field 'ref' is required");
        refused(() -> new CommandBodies.ChangeBatchQuantity("b1", BigInteger.valueOf(-1), null).command(),
                "Field 'qty' must be from 0 to 2147483647, was -1");
    }
}
