package com.allocationservice.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * A certificate authority of the test's own and a server certificate it signed, made with
 * {@code openssl} in a directory of the test's, plus a PKCS12 trust store holding the CA (made with
 * the JDK's {@code keytool}): what an operator gives the JVM with {@code -Djavax.net.ssl.trustStore}.
 *
 * @param trustStorePassword the trust store's password (it guards the store's integrity, not a secret)
 */
public record TestCertificates(Path caCertificate, Path serverCertificate, Path serverKey, Path trustStore,
        String trustStorePassword) {

    /** A CA and a server certificate for these subject alternative names (such as {@code IP:127.0.0.1}). */
    public static TestCertificates create(Path dir, String... subjectAltNames) {
        Path caKey = dir.resolve("ca.key");
        Path caCert = dir.resolve("ca.crt");
        Path key = dir.resolve("server.key");
        Path csr = dir.resolve("server.csr");
        Path cert = dir.resolve("server.crt");
        Path extensions = dir.resolve("server.ext");
        Path trustStore = dir.resolve("truststore.p12");
        try {
            Files.writeString(extensions, "subjectAltName=" + String.join(",", subjectAltNames) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=allocation test CA",
                "-keyout", caKey.toString(), "-out", caCert.toString());
        run(dir, "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=redis test server",
                "-keyout", key.toString(), "-out", csr.toString());
        run(dir, "openssl", "x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(), "-CAkey", caKey.toString(),
                "-CAcreateserial", "-days", "2", "-extfile", extensions.toString(), "-out", cert.toString());
        String password = "changeit";
        run(dir, Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-importcert", "-noprompt",
                "-alias", "allocation-test-ca", "-file", caCert.toString(), "-keystore", trustStore.toString(),
                "-storetype", "PKCS12", "-storepass", password);
        return new TestCertificates(caCert, cert, key, trustStore, password);
    }

    /** JVM options that make a process trust this CA, as an operator would give them to the jar. */
    public String jvmTrustOptions() {
        return "-Djavax.net.ssl.trustStore=" + trustStore + " -Djavax.net.ssl.trustStorePassword=" + trustStorePassword
                + " -Djavax.net.ssl.trustStoreType=PKCS12";
    }

    /** Sockets that trust this CA only: for the test's own clients, leaving the JVM's defaults alone. */
    public SSLSocketFactory socketFactory() {
        try (InputStream in = Files.newInputStream(caCertificate)) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            store.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context.getSocketFactory();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void run(Path dir, String... command) {
        try {
            Process process = new ProcessBuilder(new ArrayList<>(List.of(command))).directory(dir.toFile())
                    .redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
