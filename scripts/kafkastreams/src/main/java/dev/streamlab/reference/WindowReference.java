package dev.streamlab.reference;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.SlidingWindows;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.BuiltInDslStoreSuppliers;
import org.apache.kafka.streams.state.SessionStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The Kafka Streams reference of streamlab's window comparison tests: windowed count, sum, min and max of the number
 * "v" in each record's JSON value, per record key, for each window spec given, computed by the real Kafka Streams
 * library on a topic of a real Kafka. Only final results (suppress until the window closes) are written, one JSON line
 * per window, to the --out file. It exits by itself once the application's committed offsets reach the topic's end
 * offsets as they were at start.
 *
 * <pre>
 * WindowReference --bootstrap HOST:PORT --topic T --app-id ID --out FILE --windows SPEC[;SPEC...] [--timeout-ms MS]
 *                 [--stores in-memory|rocksdb]
 *   SPEC: NAME:tumbling:SIZE_MS:GRACE_MS | NAME:hopping:SIZE_MS:ADVANCE_MS:GRACE_MS
 *       | NAME:sliding:SIZE_MS:GRACE_MS  | NAME:session:GAP_MS:GRACE_MS
 * </pre>
 *
 * The window stores are Kafka Streams' in-memory ones unless --stores rocksdb (the library's default): the results are
 * the same, and RocksDB opens one database per window segment, a second or more per run.
 *
 * Exit codes: 0 done (stdout "DONE lines"), 2 bad arguments, 3 timeout, 1 any other failure (one line on stderr).
 */
public final class WindowReference {
    private WindowReference() {}

    /** One window spec of --windows. */
    record Spec(String name, String kind, long size, long advance, long grace) {}

    /** The aggregate of one window: count, sum, min, max of v. */
    record Agg(long count, double sum, double min, double max) {
        static final Agg EMPTY = new Agg(0, 0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);

        Agg add(double v) {
            return new Agg(count + 1, sum + v, Math.min(min, v), Math.max(max, v));
        }

        Agg merge(Agg o) {
            return new Agg(count + o.count, sum + o.sum, Math.min(min, o.min), Math.max(max, o.max));
        }
    }

    /** Agg as 32 bytes: count (long), sum, min, max (doubles). */
    static final class AggSerde {
        static Serde<Agg> serde() {
            Serializer<Agg> ser = (topic, a) -> a == null ? null
                    : ByteBuffer.allocate(32).putLong(a.count).putDouble(a.sum).putDouble(a.min).putDouble(a.max).array();
            Deserializer<Agg> de = (topic, bytes) -> {
                if (bytes == null) return null;
                ByteBuffer b = ByteBuffer.wrap(bytes);
                return new Agg(b.getLong(), b.getDouble(), b.getDouble(), b.getDouble());
            };
            return Serdes.serdeFrom(ser, de);
        }
    }

    static final String FLUSH_KEY = "__flush__";

    public static void main(String[] argv) {
        // Kafka's INFO log is long; warnings and errors go to stderr (override with -Dorg.slf4j.simpleLogger.defaultLogLevel).
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        int code;
        try {
            code = run(argv);
        } catch (UsageException e) {
            System.err.println("WindowReference: " + e.getMessage());
            code = 2;
        } catch (Timeout e) {
            System.err.println("WindowReference: timed out " + e.getMessage() + " (--timeout-ms)");
            code = 3;
        } catch (Throwable e) {
            System.err.println("WindowReference: " + oneLine(e));
            code = 1;
        }
        System.out.flush();
        System.err.flush();
        // Kafka's threads are not all daemons: leave without waiting for them.
        Runtime.getRuntime().halt(code);
    }

    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    static int run(String[] argv) throws Exception {
        Map<String, String> args = parseArgs(argv);
        String bootstrap = required(args, "bootstrap");
        String topic = required(args, "topic");
        String appId = required(args, "app-id");
        Path out = Paths.get(required(args, "out"));
        List<Spec> specs = parseSpecs(required(args, "windows"));
        long timeoutMs = args.containsKey("timeout-ms") ? parseLong(args.get("timeout-ms"), "--timeout-ms") : 120_000L;
        String stores = args.getOrDefault("stores", "in-memory");
        if (!stores.equals("in-memory") && !stores.equals("rocksdb")) throw new UsageException("--stores must be in-memory or rocksdb, got '" + stores + "'");
        long deadline = System.currentTimeMillis() + timeoutMs;

        BufferedWriter writer = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(out), StandardCharsets.UTF_8));
        Path stateDir = Files.createTempDirectory("streamlab-kstreams-");
        AtomicLong seq = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        KafkaStreams streams = null;
        Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.CLIENT_ID_CONFIG, appId + "-reference-admin"));
        try {
            // The input as it is now: every partition's end offset (the callers' __flush__ records are the last).
            TopicDescription description = within(admin.describeTopics(List.of(topic)).allTopicNames(), deadline, "describing topic " + topic).get(topic);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            description.partitions().forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            Map<TopicPartition, Long> ends = new HashMap<>();
            within(admin.listOffsets(latest).all(), deadline, "reading the end offsets of " + topic).forEach((tp, info) -> ends.put(tp, info.offset()));

            streams = new KafkaStreams(topology(topic, specs, writer, seq, failure), config(bootstrap, appId, stateDir, stores));
            streams.setUncaughtExceptionHandler(e -> {
                failure.compareAndSet(null, e);
                return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            });
            streams.setStateListener((now, before) -> {
                if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.PENDING_ERROR) {
                    failure.compareAndSet(null, new IllegalStateException("Kafka Streams went from " + before + " to " + now));
                }
            });
            streams.start();

            while (true) {
                Throwable failed = failure.get();
                if (failed != null) throw new StreamsFailure(failed);
                KafkaStreams.State state = streams.state();
                if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING || state == KafkaStreams.State.PENDING_SHUTDOWN) {
                    throw new IllegalStateException("Kafka Streams stopped (" + state + ") before it processed the input");
                }
                if (caughtUp(admin, appId, ends, deadline)) break;
                if (System.currentTimeMillis() > deadline) {
                    System.err.println("WindowReference: timed out after " + timeoutMs + " ms (--timeout-ms) before application "
                            + appId + " committed the end offsets; partition:committed/end " + committedSummary(admin, appId, ends));
                    return 3;
                }
                Thread.sleep(200);
            }
            // Suppress emits when the record that closes a window is processed, before that record's offset is
            // committed: by now every final window is written. A little longer for anything still in flight.
            Thread.sleep(1000);
            Throwable failed = failure.get();
            if (failed != null) throw new StreamsFailure(failed);
        } finally {
            if (streams != null) streams.close(Duration.ofSeconds(30));
            admin.close(Duration.ofSeconds(1)); // not the default: it waits out calls still retrying (a minute)
            synchronized (writer) {
                writer.close();
            }
            deleteTree(stateDir);
        }
        System.out.println("DONE " + seq.get());
        return 0;
    }

    static final class StreamsFailure extends Exception {
        private static final long serialVersionUID = 1L;

        StreamsFailure(Throwable cause) {
            super("Kafka Streams failed: " + oneLine(cause), cause);
        }
    }

    static Properties config(String bootstrap, String appId, Path stateDir, String stores) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
        // No record cache: every update reaches suppress, which alone decides what is emitted.
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        p.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG, stores.equals("rocksdb")
                ? BuiltInDslStoreSuppliers.RocksDBDslStoreSuppliers.class : BuiltInDslStoreSuppliers.InMemoryDslStoreSuppliers.class);
        // One KRaft node: internal topics (changelogs, repartition) with one replica.
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        // The classic consumer group protocol: its committed offsets are what Admin.listConsumerGroupOffsets reads.
        p.put(StreamsConfig.GROUP_PROTOCOL_CONFIG, "classic");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        return p;
    }

    static Topology topology(String topic, List<Spec> specs, BufferedWriter writer, AtomicLong seq,
            AtomicReference<Throwable> failure) {
        // Stores and suppress buffers without changelog topics: a run starts from the earliest offset with a new
        // application id and never restores, and creating and restoring changelogs would cost seconds per run.
        StreamsBuilder builder = new StreamsBuilder();
        KStream<String, String> source = builder.stream(topic, Consumed.with(Serdes.String(), Serdes.String()));
        KGroupedStream<String, String> grouped = source.groupByKey();
        Serde<Agg> aggSerde = AggSerde.serde();
        for (Spec spec : specs) {
            KTable<Windowed<String>, Agg> table;
            String store = "agg-" + spec.name;
            switch (spec.kind) {
                case "tumbling", "hopping" -> {
                    TimeWindows windows = TimeWindows.ofSizeAndGrace(Duration.ofMillis(spec.size), Duration.ofMillis(spec.grace));
                    if (spec.kind.equals("hopping")) windows = windows.advanceBy(Duration.ofMillis(spec.advance));
                    table = grouped.windowedBy(windows).aggregate(() -> Agg.EMPTY, (k, v, agg) -> agg.add(number(k, v)),
                            Named.as(store), Materialized.<String, Agg, WindowStore<Bytes, byte[]>>as(store)
                                    .withKeySerde(Serdes.String()).withValueSerde(aggSerde).withLoggingDisabled());
                }
                case "sliding" -> {
                    SlidingWindows windows = SlidingWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(spec.size), Duration.ofMillis(spec.grace));
                    table = grouped.windowedBy(windows).aggregate(() -> Agg.EMPTY, (k, v, agg) -> agg.add(number(k, v)),
                            Named.as(store), Materialized.<String, Agg, WindowStore<Bytes, byte[]>>as(store)
                                    .withKeySerde(Serdes.String()).withValueSerde(aggSerde).withLoggingDisabled());
                }
                case "session" -> {
                    SessionWindows windows = SessionWindows.ofInactivityGapAndGrace(Duration.ofMillis(spec.size), Duration.ofMillis(spec.grace));
                    table = grouped.windowedBy(windows).aggregate(() -> Agg.EMPTY, (k, v, agg) -> agg.add(number(k, v)),
                            (k, left, right) -> left.merge(right),
                            Named.as(store), Materialized.<String, Agg, SessionStore<Bytes, byte[]>>as(store)
                                    .withKeySerde(Serdes.String()).withValueSerde(aggSerde).withLoggingDisabled());
                }
                default -> throw new IllegalArgumentException("unknown window kind " + spec.kind);
            }
            String name = spec.name;
            table.suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded().withLoggingDisabled()).withName("final-" + name))
                    .toStream(Named.as("emit-" + name))
                    .foreach((windowed, agg) -> {
                        if (agg == null) return; // a merged-away session: suppress drops these, but be safe
                        String line = "{\"name\":" + jsonString(name)
                                + ",\"key\":" + jsonString(windowed.key())
                                + ",\"start\":" + windowed.window().start()
                                + ",\"end\":" + windowed.window().end()
                                + ",\"count\":" + agg.count
                                + ",\"sum\":" + jsonNumber(agg.sum)
                                + ",\"min\":" + jsonNumber(agg.min)
                                + ",\"max\":" + jsonNumber(agg.max);
                        try {
                            synchronized (writer) {
                                writer.write(line + ",\"seq\":" + seq.incrementAndGet() + "}\n");
                                writer.flush();
                            }
                        } catch (IOException e) {
                            failure.compareAndSet(null, e);
                            throw new RuntimeException("writing the output: " + e.getMessage(), e);
                        }
                    }, Named.as("write-" + name));
        }
        return builder.build();
    }

    /** The number after "v": in a JSON value such as {"k":"k07","v":12.5,"t":1767225600000}; 0 when there is none. */
    static double number(String key, String value) {
        Double v = parseV(value);
        if (v != null) return v;
        if (!FLUSH_KEY.equals(key)) {
            System.err.println("WindowReference: WARN a value of key " + key + " has no number \"v\" (taken as 0): "
                    + (value == null ? "null" : value.length() > 120 ? value.substring(0, 120) + "..." : value));
        }
        return 0.0;
    }

    static Double parseV(String value) {
        if (value == null) return null;
        int at = value.indexOf("\"v\"");
        if (at < 0) return null;
        int i = at + 3;
        while (i < value.length() && Character.isWhitespace(value.charAt(i))) i++;
        if (i >= value.length() || value.charAt(i) != ':') return null;
        i++;
        while (i < value.length() && Character.isWhitespace(value.charAt(i))) i++;
        int start = i;
        while (i < value.length() && "+-0123456789.eE".indexOf(value.charAt(i)) >= 0) i++;
        if (i == start) return null;
        try {
            double v = Double.parseDouble(value.substring(start, i));
            return Double.isFinite(v) ? v : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static String jsonNumber(double v) {
        if (!Double.isFinite(v)) return "null";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v);
    }

    static String jsonString(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }

    /** The future's value, or a Timeout once the deadline has passed. */
    static <T> T within(KafkaFuture<T> future, long deadline, String what) throws Exception {
        try {
            return future.get(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new Timeout(what);
        } catch (ExecutionException e) {
            throw new IllegalStateException(what + ": " + oneLine(e.getCause() == null ? e : e.getCause()), e);
        }
    }

    static final class Timeout extends Exception {
        private static final long serialVersionUID = 1L;

        Timeout(String what) {
            super(what);
        }
    }

    static boolean caughtUp(Admin admin, String appId, Map<TopicPartition, Long> ends, long deadline) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed;
        try {
            committed = within(admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata(), deadline, "reading the committed offsets");
        } catch (Timeout e) {
            return false;
        }
        for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
            if (end.getValue() == 0) continue;
            OffsetAndMetadata c = committed.get(end.getKey());
            if (c == null || c.offset() < end.getValue()) return false;
        }
        return true;
    }

    static String committedSummary(Admin admin, String appId, Map<TopicPartition, Long> ends) {
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
            List<String> parts = new ArrayList<>();
            ends.keySet().stream().sorted(Comparator.comparingInt(TopicPartition::partition)).forEach(tp -> {
                OffsetAndMetadata c = committed.get(tp);
                parts.add(tp.partition() + ":" + (c == null ? "none" : Long.toString(c.offset())) + "/" + ends.get(tp));
            });
            return String.join(" ", parts);
        } catch (Exception e) {
            return "(unknown: " + oneLine(e) + ")";
        }
    }

    static Map<String, String> parseArgs(String[] argv) throws UsageException {
        List<String> known = List.of("bootstrap", "topic", "app-id", "out", "windows", "timeout-ms", "stores");
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--") || !known.contains(a.substring(2))) throw new UsageException("unknown argument " + a + "; " + usage());
            if (i + 1 >= argv.length) throw new UsageException(a + " needs a value; " + usage());
            args.put(a.substring(2), argv[++i]);
        }
        return args;
    }

    static String usage() {
        return "usage: WindowReference --bootstrap HOST:PORT --topic T --app-id ID --out FILE --windows SPEC[;SPEC...] [--timeout-ms MS] [--stores in-memory|rocksdb]";
    }

    static String required(Map<String, String> args, String name) throws UsageException {
        String v = args.get(name);
        if (v == null || v.isEmpty()) throw new UsageException("--" + name + " is required; " + usage());
        return v;
    }

    static long parseLong(String text, String what) throws UsageException {
        try {
            long v = Long.parseLong(text);
            if (v < 0) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new UsageException(what + " must be a whole number of milliseconds >= 0, got '" + text + "'");
        }
    }

    static List<Spec> parseSpecs(String text) throws UsageException {
        List<Spec> specs = new ArrayList<>();
        for (String part : text.split(";")) {
            if (part.isBlank()) continue;
            String[] f = part.trim().split(":");
            if (f.length < 2) throw new UsageException("window spec '" + part + "' needs NAME:KIND:...");
            String name = f[0];
            if (!name.matches("[A-Za-z0-9_.-]+")) throw new UsageException("window name '" + name + "' must be letters, digits, _ . -");
            if (specs.stream().anyMatch(s -> s.name.equals(name))) throw new UsageException("window name '" + name + "' is given twice");
            String kind = f[1];
            int want = kind.equals("hopping") ? 5 : 4;
            if (!List.of("tumbling", "hopping", "sliding", "session").contains(kind)) {
                throw new UsageException("window spec '" + part + "': kind must be tumbling, hopping, sliding or session");
            }
            if (f.length != want) {
                throw new UsageException("window spec '" + part + "' must be " + switch (kind) {
                    case "hopping" -> "NAME:hopping:SIZE_MS:ADVANCE_MS:GRACE_MS";
                    case "session" -> "NAME:session:GAP_MS:GRACE_MS";
                    default -> "NAME:" + kind + ":SIZE_MS:GRACE_MS";
                });
            }
            long size = parseLong(f[2], "window " + name + " size");
            long advance = kind.equals("hopping") ? parseLong(f[3], "window " + name + " advance") : size;
            long grace = parseLong(f[want - 1], "window " + name + " grace");
            if (size <= 0 || advance <= 0) throw new UsageException("window " + name + ": sizes must be > 0");
            if (advance > size) throw new UsageException("window " + name + ": advance must be <= size");
            specs.add(new Spec(name, kind, size, advance, grace));
        }
        if (specs.isEmpty()) throw new UsageException("--windows names no window; " + usage());
        return specs;
    }

    /** The exception and its causes on one line, leaving out wrappers and causes whose message is already said. */
    static String oneLine(Throwable e) {
        StringBuilder b = new StringBuilder();
        int depth = 0;
        for (Throwable t = e; t != null && depth < 8 && b.length() < 1000; t = t.getCause() == t ? null : t.getCause(), depth++) {
            String message = t.getMessage() == null ? "" : t.getMessage().replace('\n', ' ');
            if (t instanceof ExecutionException || (!message.isEmpty() && b.indexOf(message) >= 0)) continue;
            if (b.length() > 0) b.append(" <- ");
            b.append(t.getClass().getSimpleName());
            if (!message.isEmpty()) b.append(": ").append(message);
        }
        return b.toString();
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp folder left behind is harmless
        }
    }
}
