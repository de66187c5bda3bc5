package dev.streamlab.reference;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
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
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.ValueJoiner;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.BuiltInDslStoreSuppliers;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The Kafka Streams reference of streamlab's join comparison tests: ONE join of two topics of a real Kafka (the left
 * and right topics, co-partitioned, keys strings, values JSON text) computed by the real Kafka Streams library, every
 * record the join emits written as one JSON line to the --out file:
 *
 * <pre>
 * {"key":"k1","value":{"left":{...},"right":null},"timestamp":1767225600000,"partition":0,"seq":1}
 * </pre>
 *
 * value is the joiner's output, {"left": the left value or null, "right": the right value or null} with both values
 * copied as they are (they must be JSON text), or null for a table-table tombstone; timestamp is the output record's;
 * partition is the task's (both topics' partition); seq counts emissions from 1. It exits by itself once the
 * application's committed offsets reach both topics' end offsets as they were at start.
 *
 * <pre>
 * JoinReference --bootstrap HOST:PORT --left-topic L --right-topic R --app-id ID --out FILE
 *               --kind stream-table|stream-table-versioned|stream-stream|table-table --join inner|left|outer
 *               [--before-ms MS --after-ms MS --grace-ms MS] (stream-stream) [--history-ms MS] (stream-table-versioned)
 *               [--max-task-idle-ms MS] [--timeout-ms MS]
 * </pre>
 *
 * stream-table: left is the KStream, right the KTable (builder.table, an in-memory key-value store, or with
 * -versioned a RocksDB versioned store keeping --history-ms of history). stream-stream: a left record at t joins right
 * records in [t - before, t + after], grace as given, in-memory window stores. table-table: both sides in-memory
 * KTables, the result's updates (toStream) written, tombstones as value null. No record cache: every update is
 * emitted.
 *
 * Exit codes: 0 done (stdout "DONE lines"), 2 bad arguments or topics (missing, not co-partitioned), 3 timeout, 1 any other failure (one line on stderr).
 */
public final class JoinReference {
    private JoinReference() {}

    record Options(String bootstrap, String leftTopic, String rightTopic, String appId, Path out, String kind, String join,
            long beforeMs, long afterMs, long graceMs, long historyMs, long maxTaskIdleMs, long timeoutMs) {}

    /**
     * Kafka Streams' internal switch for how often a left/outer stream-stream join looks for records whose window has
     * closed without a match: by default at most once per second of wall-clock time, so a run's output would depend on
     * how fast it went. 0 looks at every record.
     */
    static final String OUTER_JOIN_EMIT_INTERVAL = "__emit.interval.ms.kstreams.outer.join.spurious.results.fix__";

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
            System.err.println("JoinReference: " + e.getMessage());
            code = 2;
        } catch (WindowReference.Timeout e) {
            System.err.println("JoinReference: timed out " + e.getMessage() + " (--timeout-ms)");
            code = 3;
        } catch (Throwable e) {
            System.err.println("JoinReference: " + WindowReference.oneLine(e));
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
        Options o = parseOptions(argv);
        long deadline = System.currentTimeMillis() + o.timeoutMs;

        BufferedWriter writer = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(o.out), StandardCharsets.UTF_8));
        Path stateDir = Files.createTempDirectory("streamlab-kstreams-join-");
        AtomicLong seq = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        KafkaStreams streams = null;
        Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrap,
                AdminClientConfig.CLIENT_ID_CONFIG, o.appId + "-reference-admin"));
        try {
            // The input as it is now: every partition's end offset of both topics.
            Map<String, TopicDescription> descriptions = describe(admin, List.of(o.leftTopic, o.rightTopic), o.bootstrap, deadline);
            int leftPartitions = descriptions.get(o.leftTopic).partitions().size();
            int rightPartitions = descriptions.get(o.rightTopic).partitions().size();
            if (leftPartitions != rightPartitions) {
                // Kafka Streams says so too, but only in a stack trace after the group has formed.
                throw new UsageException("a join needs co-partitioned topics, and " + o.leftTopic + " has " + leftPartitions
                        + " partitions, " + o.rightTopic + " " + rightPartitions);
            }
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            descriptions.values().forEach(d -> d.partitions().forEach(p -> latest.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest())));
            Map<TopicPartition, Long> ends = new HashMap<>();
            WindowReference.within(admin.listOffsets(latest).all(), deadline, "reading the end offsets of " + o.leftTopic + " and " + o.rightTopic)
                    .forEach((tp, info) -> ends.put(tp, info.offset()));

            Properties config = config(o, stateDir);
            streams = new KafkaStreams(topology(o, config, writer, seq, failure), config);
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
                if (failed != null) throw new WindowReference.StreamsFailure(failed);
                KafkaStreams.State state = streams.state();
                if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING || state == KafkaStreams.State.PENDING_SHUTDOWN) {
                    throw new IllegalStateException("Kafka Streams stopped (" + state + ") before it processed the input");
                }
                if (WindowReference.caughtUp(admin, o.appId, ends, deadline)) break;
                if (System.currentTimeMillis() > deadline) {
                    System.err.println("JoinReference: timed out after " + o.timeoutMs + " ms (--timeout-ms) before application "
                            + o.appId + " committed the end offsets; topic-partition:committed/end " + committedSummary(admin, o.appId, ends));
                    return 3;
                }
                Thread.sleep(100);
            }
            // A record's output is written (and flushed) by the stream thread while it processes the record, before
            // its offset is committed: everything is in the file by now.
            Throwable failed = failure.get();
            if (failed != null) throw new WindowReference.StreamsFailure(failed);
        } finally {
            if (streams != null) streams.close(Duration.ofSeconds(30));
            admin.close(Duration.ofSeconds(1)); // not the default: it waits out calls still retrying (a minute)
            synchronized (writer) {
                writer.close();
            }
            WindowReference.deleteTree(stateDir);
        }
        System.out.println("DONE " + seq.get());
        return 0;
    }

    /** Both topics, or a UsageException naming the one that is not there (Kafka Streams would wait for it). */
    static Map<String, TopicDescription> describe(Admin admin, List<String> topics, String bootstrap, long deadline) throws Exception {
        Map<String, KafkaFuture<TopicDescription>> futures = admin.describeTopics(topics).topicNameValues();
        Map<String, TopicDescription> descriptions = new HashMap<>();
        for (String topic : topics) {
            try {
                descriptions.put(topic, WindowReference.within(futures.get(topic), deadline, "describing topic " + topic));
            } catch (IllegalStateException e) {
                if (!(e.getCause() instanceof ExecutionException ee && ee.getCause() instanceof UnknownTopicOrPartitionException)) throw e;
                throw new UsageException("topic " + topic + " does not exist on " + bootstrap + ": create both topics, with the same number of partitions, before the run");
            }
        }
        return descriptions;
    }

    static Properties config(Options o, Path stateDir) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, o.appId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrap);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
        // No record cache: every update of a table and of a join result is emitted, none folded into a later one.
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        p.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, o.maxTaskIdleMs);
        p.put(OUTER_JOIN_EMIT_INTERVAL, 0L);
        p.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG, BuiltInDslStoreSuppliers.InMemoryDslStoreSuppliers.class);
        // One KRaft node: internal topics (if any) with one replica.
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        // The classic consumer group protocol: its committed offsets are what Admin.listConsumerGroupOffsets reads.
        p.put(StreamsConfig.GROUP_PROTOCOL_CONFIG, "classic");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        return p;
    }

    /** The joiner's output: both values copied as JSON text, a missing side as null. */
    static String joined(String left, String right) {
        return "{\"left\":" + (left == null ? "null" : left) + ",\"right\":" + (right == null ? "null" : right) + "}";
    }

    static Topology topology(Options o, Properties config, BufferedWriter writer, AtomicLong seq, AtomicReference<Throwable> failure) {
        // The builder gets the config too: the DSL reads the store suppliers and the cache size from it when it
        // builds the stores, not from the KafkaStreams instance. Stores have no changelog topics: a run starts from
        // the earliest offset with a new application id and never restores, and changelogs would cost seconds.
        StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(config)));
        Consumed<String, String> consumed = Consumed.with(Serdes.String(), Serdes.String());
        ValueJoiner<String, String, String> joiner = JoinReference::joined;
        KStream<String, String> output;
        switch (o.kind) {
            case "stream-table", "stream-table-versioned" -> {
                KStream<String, String> stream = builder.stream(o.leftTopic, consumed.withName("left-source"));
                Materialized<String, String, KeyValueStore<Bytes, byte[]>> store = o.kind.equals("stream-table")
                        ? Materialized.as(Stores.inMemoryKeyValueStore("right-table"))
                        : Materialized.as(Stores.persistentVersionedKeyValueStore("right-table", Duration.ofMillis(o.historyMs)));
                KTable<String, String> table = builder.table(o.rightTopic, consumed.withName("right-source"),
                        store.withKeySerde(Serdes.String()).withValueSerde(Serdes.String()).withLoggingDisabled());
                output = o.join.equals("inner") ? stream.join(table, joiner) : stream.leftJoin(table, joiner);
            }
            case "stream-stream" -> {
                KStream<String, String> left = builder.stream(o.leftTopic, consumed.withName("left-source"));
                KStream<String, String> right = builder.stream(o.rightTopic, consumed.withName("right-source"));
                JoinWindows windows = JoinWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(Math.max(o.beforeMs, o.afterMs)), Duration.ofMillis(o.graceMs))
                        .before(Duration.ofMillis(o.beforeMs))
                        .after(Duration.ofMillis(o.afterMs));
                StreamJoined<String, String, String> stores = StreamJoined.<String, String, String>with(Serdes.String(), Serdes.String(), Serdes.String())
                        .withDslStoreSuppliers(new BuiltInDslStoreSuppliers.InMemoryDslStoreSuppliers())
                        .withLoggingDisabled();
                output = switch (o.join) {
                    case "inner" -> left.join(right, joiner, windows, stores);
                    case "left" -> left.leftJoin(right, joiner, windows, stores);
                    default -> left.outerJoin(right, joiner, windows, stores);
                };
            }
            case "table-table" -> {
                KTable<String, String> left = builder.table(o.leftTopic, consumed.withName("left-source"),
                        Materialized.<String, String>as(Stores.inMemoryKeyValueStore("left-table"))
                                .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()).withLoggingDisabled());
                KTable<String, String> right = builder.table(o.rightTopic, consumed.withName("right-source"),
                        Materialized.<String, String>as(Stores.inMemoryKeyValueStore("right-table"))
                                .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()).withLoggingDisabled());
                KTable<String, String> result = switch (o.join) {
                    case "inner" -> left.join(right, joiner);
                    case "left" -> left.leftJoin(right, joiner);
                    default -> left.outerJoin(right, joiner);
                };
                output = result.toStream(Named.as("join-updates"));
            }
            default -> throw new IllegalArgumentException("unknown join kind " + o.kind);
        }
        output.process(() -> new Processor<String, String, Void, Void>() {
            private ProcessorContext<Void, Void> context;

            @Override
            public void init(ProcessorContext<Void, Void> context) {
                this.context = context;
            }

            @Override
            public void process(Record<String, String> record) {
                String value = record.value();
                // A stream thread writes a line and its seq at once, so seq is the file's order.
                try {
                    synchronized (writer) {
                        writer.write("{\"key\":" + WindowReference.jsonString(record.key())
                                + ",\"value\":" + (value == null ? "null" : value)
                                + ",\"timestamp\":" + record.timestamp()
                                + ",\"partition\":" + context.taskId().partition()
                                + ",\"seq\":" + seq.incrementAndGet() + "}\n");
                        writer.flush();
                    }
                } catch (IOException e) {
                    failure.compareAndSet(null, e);
                    throw new RuntimeException("writing the output: " + e.getMessage(), e);
                }
            }
        }, Named.as("write-output"));
        return builder.build();
    }

    static String committedSummary(Admin admin, String appId, Map<TopicPartition, Long> ends) {
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
            List<String> parts = new ArrayList<>();
            ends.keySet().stream().sorted(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition)).forEach(tp -> {
                OffsetAndMetadata c = committed.get(tp);
                parts.add(tp + ":" + (c == null ? "none" : Long.toString(c.offset())) + "/" + ends.get(tp));
            });
            return String.join(" ", parts);
        } catch (Exception e) {
            return "(unknown: " + WindowReference.oneLine(e) + ")";
        }
    }

    static final List<String> KINDS = List.of("stream-table", "stream-table-versioned", "stream-stream", "table-table");
    static final List<String> KNOWN = List.of("bootstrap", "left-topic", "right-topic", "app-id", "out", "kind", "join",
            "before-ms", "after-ms", "grace-ms", "history-ms", "max-task-idle-ms", "timeout-ms");

    static Options parseOptions(String[] argv) throws UsageException {
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--") || !KNOWN.contains(a.substring(2))) throw new UsageException("unknown argument " + a + "; " + usage());
            if (i + 1 >= argv.length) throw new UsageException(a + " needs a value; " + usage());
            args.put(a.substring(2), argv[++i]);
        }
        String kind = required(args, "kind");
        String join = required(args, "join");
        if (!KINDS.contains(kind)) throw new UsageException("--kind must be one of " + String.join(", ", KINDS) + ", got '" + kind + "'");
        boolean streamTable = kind.startsWith("stream-table");
        if (!(streamTable ? List.of("inner", "left") : List.of("inner", "left", "outer")).contains(join)) {
            throw new UsageException("--join " + join + " is not a " + kind + " join: " + (streamTable ? "inner or left" : "inner, left or outer"));
        }
        for (String only : List.of("before-ms", "after-ms", "grace-ms")) {
            if (args.containsKey(only) && !kind.equals("stream-stream")) throw new UsageException("--" + only + " is for --kind stream-stream only");
        }
        if (args.containsKey("history-ms") && !kind.equals("stream-table-versioned")) throw new UsageException("--history-ms is for --kind stream-table-versioned only");
        long before = 0;
        long after = 0;
        if (kind.equals("stream-stream")) {
            if (!args.containsKey("before-ms") || !args.containsKey("after-ms")) throw new UsageException("--kind stream-stream needs --before-ms and --after-ms");
            before = millis(args, "before-ms", 0);
            after = millis(args, "after-ms", 0);
        }
        long history = millis(args, "history-ms", 3_600_000L);
        if (kind.equals("stream-table-versioned") && history <= 0) throw new UsageException("--history-ms must be > 0");
        return new Options(required(args, "bootstrap"), required(args, "left-topic"), required(args, "right-topic"),
                required(args, "app-id"), Paths.get(required(args, "out")), kind, join, before, after,
                millis(args, "grace-ms", 0), history, millis(args, "max-task-idle-ms", 0), millis(args, "timeout-ms", 120_000L));
    }

    static String usage() {
        return "usage: JoinReference --bootstrap HOST:PORT --left-topic L --right-topic R --app-id ID --out FILE"
                + " --kind stream-table|stream-table-versioned|stream-stream|table-table --join inner|left|outer"
                + " [--before-ms MS --after-ms MS --grace-ms MS] [--history-ms MS] [--max-task-idle-ms MS] [--timeout-ms MS]";
    }

    static String required(Map<String, String> args, String name) throws UsageException {
        String v = args.get(name);
        if (v == null || v.isEmpty()) throw new UsageException("--" + name + " is required; " + usage());
        return v;
    }

    static long millis(Map<String, String> args, String name, long otherwise) throws UsageException {
        String text = args.get(name);
        if (text == null) return otherwise;
        try {
            long v = Long.parseLong(text);
            if (v < 0) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be a whole number of milliseconds >= 0, got '" + text + "'");
        }
    }
}
