package com.allocationservice.support;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Keeps the e2e tier in its place. Its classes (package {@code ..e2e}) run the built jar, whose path
 * only failsafe hands them, as the {@code allocation.jar} system property, in {@code verify}. Anywhere
 * else (surefire, which a {@code -Dtest} pattern naming them makes run them whatever its excludes say;
 * an IDE) they are skipped, saying how to run them, instead of failing for want of the jar. Every
 * test class gets this condition through JUnit's extension auto-detection (see
 * {@code junit-platform.properties}).
 */
public final class EndToEndTier implements ExecutionCondition {

    static final String JAR_PROPERTY = "allocation.jar";

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Class<?> testClass = context.getTestClass().orElse(null);
        if (testClass == null || !testClass.getPackageName().endsWith(".e2e")) {
            return ConditionEvaluationResult.enabled("not an e2e test");
        }
        if (System.getProperty(JAR_PROPERTY) != null) {
            return ConditionEvaluationResult.enabled("the jar is at " + System.getProperty(JAR_PROPERTY));
        }
        return ConditionEvaluationResult.disabled("e2e test skipped: it runs the built jar, which only failsafe "
                + "provides (-D" + JAR_PROPERTY + "); run it with ./mvnw verify -Dtest=none "
                + "-Dsurefire.failIfNoSpecifiedTests=false -Dit.test=" + testClass.getSimpleName());
    }
}
