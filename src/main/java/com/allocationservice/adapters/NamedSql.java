package com.allocationservice.adapters;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * SQL whose parameters are {@code :name}s, bound by name: JDBC binds by position, so moving a fragment
 * of a long statement would silently shift its binds. A name may appear several times. Quoted text and
 * PostgreSQL's {@code ::} casts are left alone.
 */
final class NamedSql {

    private final String jdbc;
    private final List<String> positions = new ArrayList<>();

    NamedSql(String sql) {
        StringBuilder out = new StringBuilder(sql.length());
        boolean quoted = false;
        for (int i = 0; i < sql.length(); i++) {
            char c = sql.charAt(i);
            if (c == '\'') {
                quoted = !quoted;
            } else if (!quoted && c == ':' && i + 1 < sql.length() && sql.charAt(i + 1) == ':') {
                out.append("::");
                i++;
                continue;
            } else if (!quoted && c == ':' && i + 1 < sql.length() && Character.isJavaIdentifierStart(sql.charAt(i + 1))) {
                int end = i + 1;
                while (end < sql.length() && Character.isJavaIdentifierPart(sql.charAt(end))) {
                    end++;
                }
                positions.add(sql.substring(i + 1, end));
                out.append('?');
                i = end - 1;
                continue;
            }
            out.append(c);
        }
        this.jdbc = out.toString();
    }

    PreparedStatement prepare(Connection connection) throws SQLException {
        return connection.prepareStatement(jdbc);
    }

    /** Binds every parameter; a name without a value, or a value without a name, is a bug. */
    void bind(PreparedStatement st, Map<String, ?> values) throws SQLException {
        bind(st, 0, values);
    }

    /** The same, for this statement's parameters after the first {@code offset} of the prepared statement. */
    private void bind(PreparedStatement st, int offset, Map<String, ?> values) throws SQLException {
        Set<String> unused = new HashSet<>(values.keySet());
        for (int i = 0; i < positions.size(); i++) {
            String name = positions.get(i);
            if (!values.containsKey(name)) {
                throw new IllegalArgumentException("no value for :" + name + " in " + jdbc);
            }
            Object value = values.get(name);
            if (value instanceof Array array) {
                st.setArray(offset + i + 1, array);
            } else {
                st.setObject(offset + i + 1, value);
            }
            unused.remove(name);
        }
        if (!unused.isEmpty()) {
            throw new IllegalArgumentException("no parameter named " + unused + " in " + jdbc);
        }
    }

    /** This statement with its values, to run with others ({@link #runTogether}). */
    record Bound(NamedSql sql, Map<String, ?> values) {
    }

    Bound with(Map<String, ?> values) {
        return new Bound(this, values);
    }

    /**
     * Runs these statements in order as one prepared statement: one round trip to PostgreSQL (pgjdbc
     * sends them all, then one sync), and an error in any of them fails it. Returns the first one's
     * update count (H2 reports only that one).
     */
    static int runTogether(Connection connection, List<Bound> statements) throws SQLException {
        String text = statements.stream().map(b -> b.sql().jdbc).collect(Collectors.joining(";\n"));
        try (PreparedStatement st = connection.prepareStatement(text)) {
            int offset = 0;
            for (Bound b : statements) {
                b.sql().bind(st, offset, b.values());
                offset += b.sql().positions.size();
            }
            st.execute();
            return st.getUpdateCount();
        }
    }

    /** One column of these items as an SQL array of this type, for {@code = ANY(...)} and {@code UNNEST(...)}. */
    static <T> Array array(Connection connection, String type, List<T> items, Function<T, ?> column)
            throws SQLException {
        return connection.createArrayOf(type, items.stream().map(column).toArray());
    }

    @Override
    public String toString() {
        return jdbc;
    }
}
