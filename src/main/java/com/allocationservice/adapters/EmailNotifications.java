package com.allocationservice.adapters;

import com.allocationservice.service.Notifications;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.time.Duration;
import java.util.Properties;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.util.MailConnectException;

/**
 * Notifications by email over SMTP (the book's chapter 13 {@code EmailNotifications}), with Angus
 * Mail: no authentication, no TLS, a local relay. The message's first line is the subject, the whole
 * message the body. A server that is down or refuses the message makes {@link #send} throw, so the
 * caller keeps the notification and tries again later.
 */
public final class EmailNotifications implements Notifications {

    /**
     * The SMTP server could not take the message. Refused: it answered and turned this message down
     * for good (a 5xx reply, a malformed message); otherwise it could not be reached, timed out or
     * answered "try later", which says nothing against this message.
     */
    public static final class MailFailed extends RuntimeException {
        private final boolean refused;

        MailFailed(String message, MessagingException cause) {
            super(message, cause);
            this.refused = refused(cause);
        }

        public boolean refused() {
            return refused;
        }

        private static boolean refused(MessagingException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof IOException || t instanceof MailConnectException
                        || t instanceof SMTPSendFailedException s && s.getReturnCode() < 500
                        || t instanceof SMTPAddressFailedException a && a.getReturnCode() < 500) {
                    return false;
                }
            }
            return true;
        }
    }

    private final Session session;
    private final String from;

    /** The timeout bounds connecting to, each read from and each write to the server. */
    public EmailNotifications(String host, int port, String from, Duration timeout) {
        String millis = Long.toString(timeout.toMillis());
        Properties properties = new Properties();
        properties.put("mail.smtp.host", host);
        properties.put("mail.smtp.port", Integer.toString(port));
        properties.put("mail.smtp.connectiontimeout", millis);
        properties.put("mail.smtp.timeout", millis);
        properties.put("mail.smtp.writetimeout", millis);
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
