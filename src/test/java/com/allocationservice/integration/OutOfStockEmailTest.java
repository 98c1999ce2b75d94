package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.adapters.EmailNotifications;
import com.allocationservice.adapters.JdbcUnitOfWork;
import com.allocationservice.adapters.LoggingEventPublisher;
import com.allocationservice.adapters.OutboxRelay;
import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.Command;
import com.allocationservice.service.MessageBus;
import com.allocationservice.support.Ports;
import com.allocationservice.support.TestDatabase;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.Message;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OutOfStockEmailTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String FROM = "allocations@shop.test";
    private static final String TO = "buyers@shop.test";

    private final int smtpPort = Ports.free();
    private GreenMail smtp;
    private TestDatabase db;
    private OutboxRelay relay;
    private MessageBus bus;

    @BeforeEach
    void start() {
        db = TestDatabase.create(TestDatabase.Kind.H2);
    }

    @AfterEach
    void stop() {
        if (relay != null) {
            relay.close();
        }
        if (smtp != null) {
            smtp.stop();
        }
        db.close();
    }

    private void startSmtp() {
        smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        smtp.start();
    }

    private void startRelay(Duration window) {
        relay = new OutboxRelay(db.dataSource(), new LoggingEventPublisher(),
                new EmailNotifications("127.0.0.1", smtpPort, FROM, Duration.ofSeconds(10)), TO, window, Duration.ofMillis(200)).start();
        bus = Bootstrap.bus(JdbcUnitOfWork.factory(db.dataSource(), relay::wake));
    }

    @Test
    void emails_the_configured_address_from_the_configured_sender_naming_the_sku() throws Exception {
        startSmtp();
        startRelay(Duration.ofMinutes(15));
        bus.handle(new Command.CreateBatch("b1", "RED-LAMP", 1, null));
        bus.handle(new Command.Allocate("o1", "RED-LAMP", 5));

        await().atMost(WAIT).until(() -> smtp.getReceivedMessages().length == 1);
        MimeMessage mail = smtp.getReceivedMessages()[0];
        assertThat(mail.getFrom()).extracting(Object::toString).containsExactly(FROM);
        assertThat(mail.getRecipients(Message.RecipientType.TO)).extracting(Object::toString).containsExactly(TO);
        assertThat(mail.getSubject()).contains("RED-LAMP");
        assertThat(GreenMailUtil.getBody(mail)).contains("RED-LAMP");
        await().atMost(WAIT).until(() -> relay.backlog() == 0);
    }

    @Test
    void keeps_the_email_while_the_mail_server_is_down_and_sends_it_when_it_is_back() {
        startRelay(Duration.ofMinutes(15));
        bus.handle(new Command.CreateBatch("b1", "RED-LAMP", 1, null));
        bus.handle(new Command.Allocate("o1", "RED-LAMP", 5));

        await().atMost(WAIT).until(() -> relay.failures() > 0);
        assertThat(relay.backlog()).isEqualTo(1);
        startSmtp();

        await().atMost(WAIT).until(() -> smtp.getReceivedMessages().length == 1);
        await().atMost(WAIT).until(() -> relay.backlog() == 0);
        assertThat(relay.emailsSent()).isEqualTo(1);
    }

    @Test
    void a_burst_of_out_of_stock_sends_one_email_per_sku_per_window() throws Exception {
        startSmtp();
        startRelay(Duration.ofHours(1));
        bus.handle(new Command.CreateBatch("b1", "RED-LAMP", 1, null));
        bus.handle(new Command.CreateBatch("b2", "BLUE-SOFA", 1, null));
        for (int i = 0; i < 10; i++) {
            bus.handle(new Command.Allocate("lamp-" + i, "RED-LAMP", 5));
        }
        bus.handle(new Command.Allocate("sofa", "BLUE-SOFA", 5));

        await().atMost(WAIT).until(() -> relay.backlog() == 0);
        List<String> subjects = Arrays.stream(smtp.getReceivedMessages()).map(m -> {
            try {
                return m.getSubject();
            } catch (jakarta.mail.MessagingException e) {
                throw new AssertionError(e);
            }
        }).toList();
        assertThat(subjects).hasSize(2);
        assertThat(subjects).anySatisfy(s -> assertThat(s).contains("RED-LAMP"));
        assertThat(subjects).anySatisfy(s -> assertThat(s).contains("BLUE-SOFA"));
        assertThat(relay.suppressedEmails()).isEqualTo(9);
    }

    @Test
    void with_no_window_every_out_of_stock_is_emailed() {
        startSmtp();
        startRelay(Duration.ZERO);
        bus.handle(new Command.CreateBatch("b1", "RED-LAMP", 1, null));
        for (int i = 0; i < 3; i++) {
            bus.handle(new Command.Allocate("lamp-" + i, "RED-LAMP", 5));
        }
        await().atMost(WAIT).until(() -> relay.backlog() == 0);
        assertThat(smtp.getReceivedMessages()).hasSize(3);
    }

}
