package com.allocationservice.adapters;

import com.allocationservice.service.Notifications;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.util.Properties;

/**
 * Notifications by email over SMTP (the book's chapter 13 {@code EmailNotifications}), with Angus
 * Mail: no authentication, no TLS, a local relay. The message's first line is the subject, the whole
 * message the body. A server that is down or refuses the message makes {@link #send} throw, so the
 * caller keeps the notification and tries again later.
 */
public final class EmailNotifications implements Notifications {

    /** The SMTP server could not take the message. */
    public static final class MailFailed extends RuntimeException {
        MailFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Session session;
    private final String from;

    public EmailNotifications(String host, int port, String from) {
        Properties properties = new Properties();
        properties.put("mail.smtp.host", host);
        properties.put("mail.smtp.port", Integer.toString(port));
        properties.put("mail.smtp.connectiontimeout", "5000");
        properties.put("mail.smtp.timeout", "10000");
        properties.put("mail.smtp.writetimeout", "10000");
        this.session = Session.getInstance(properties);
        this.from = from;
    }

    @Override
    public void send(String destination, String message) {
        String subject = message.lines().findFirst().orElse(message);
        try {
            MimeMessage mail = new MimeMessage(session);
            mail.setFrom(new InternetAddress(from));
            mail.setRecipient(Message.RecipientType.TO, new InternetAddress(destination));
            mail.setSubject(subject, "UTF-8");
            mail.setText(message, "UTF-8");
            Transport.send(mail);
        } catch (MessagingException e) {
            throw new MailFailed("sending '" + subject + "' to " + destination + " failed: " + e.getMessage(), e);
        }
    }
}
