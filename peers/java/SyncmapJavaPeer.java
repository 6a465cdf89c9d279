// syncmap-java-peer: the Java peers of syncmap-lab. It reads a workload spec on stdin, runs
// it on one java.util.concurrent map, and writes the recorded history on stdout, in the
// line format of docs/LAB.md ("Out-of-process peers: the protocol").
//
// Maps: java_chm (ConcurrentHashMap) and java_skiplist (ConcurrentSkipListMap). Both offer
// every operation the lab knows as one atomic call of ConcurrentMap: get, containsKey,
// put, putIfAbsent, remove(k), put's previous value (exchange), replace(k, old, new),
// remove(k, old). A traversal is a for-each over entrySet(), whose iterators the package
// documents as weakly consistent.
//
// Timestamps: System.nanoTime(), which HotSpot on Linux reads from
// clock_gettime(CLOCK_MONOTONIC); the lab checks every timestamp against its own clock.
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

public final class SyncmapJavaPeer {
    static final int PRELOAD_THREAD = 0xfffe;

    static final class Spec {
        String map = "", mode = "workload";
        long seed = 1, preload, opsPerWriter, stableLo, stableHi, stablePercent, churnLo, churnHi, traversals, itemWorkNs;
        double seconds = 0.2;
        int writers = 1, rangers;
        List<String> kinds = new ArrayList<>();
        List<Long> weights = new ArrayList<>();
    }

    // One point operation, exactly the lab's op_record.
    static final class Op {
        int thread;
        String kind;
        long key, arg, expected, result, invoke, response;
        boolean flag;
    }

    static final class Range {
        int thread;
        long start, end;
        long[] items = new long[64];  // key, value, key, value, ...
        int size;

        void add(long k, long v) {
            if (size + 2 > items.length) items = java.util.Arrays.copyOf(items, items.length * 2);
            items[size++] = k;
            items[size++] = v;
        }
    }

    static final class Log {
        final List<Op> ops = new ArrayList<>();
        final List<Range> ranges = new ArrayList<>();
    }

    // Values written are (thread + 1) << 40 | sequence, as the lab's recorder writes them.
    static final class Recorder {
        final ConcurrentMap<Long, Long> m;
        final int thread;
        final Log log;
        long seq;
        final Map<Long, Long> lastSeen = new HashMap<>();

        Recorder(ConcurrentMap<Long, Long> m, int thread, Log log) {
            this.m = m;
            this.thread = thread;
            this.log = log;
        }

        long fresh() { return ((long) thread + 1) << 40 | ++seq; }

        void execute(String kind, long k) {
            Op r = new Op();
            r.thread = thread;
            r.kind = kind;
            r.key = k;
            Long key = k;
            switch (kind) {
                case "load": {
                    r.invoke = System.nanoTime();
                    Long v = m.get(key);
                    r.response = System.nanoTime();
                    r.flag = v != null;
                    r.result = v == null ? 0 : v;
                    if (v != null) lastSeen.put(k, v);
                    break;
                }
                case "contains":
                    r.invoke = System.nanoTime();
                    r.flag = m.containsKey(key);
                    r.response = System.nanoTime();
                    break;
                case "store":
                    r.arg = fresh();
                    r.invoke = System.nanoTime();
                    m.put(key, r.arg);
                    r.response = System.nanoTime();
                    lastSeen.put(k, r.arg);
                    break;
                case "load_or_store": {
                    r.arg = fresh();
                    r.invoke = System.nanoTime();
                    Long prev = m.putIfAbsent(key, r.arg);
                    r.response = System.nanoTime();
                    r.flag = prev != null;
                    r.result = prev != null ? prev : r.arg;
                    lastSeen.put(k, r.result);
                    break;
                }
                case "load_and_delete": {
                    r.invoke = System.nanoTime();
                    Long prev = m.remove(key);
                    r.response = System.nanoTime();
                    r.flag = prev != null;
                    r.result = prev == null ? 0 : prev;
                    break;
                }
                case "erase": {
                    r.invoke = System.nanoTime();
                    Long prev = m.remove(key);
                    r.response = System.nanoTime();
                    r.flag = prev != null;
                    break;
                }
                case "exchange": {
                    r.arg = fresh();
                    r.invoke = System.nanoTime();
                    Long prev = m.put(key, r.arg);
                    r.response = System.nanoTime();
                    r.flag = prev != null;
                    r.result = prev == null ? 0 : prev;
                    lastSeen.put(k, r.arg);
                    break;
                }
                case "compare_and_swap": {
                    r.arg = fresh();
                    r.expected = lastSeen.getOrDefault(k, r.arg);  // never seen: cannot match
                    r.invoke = System.nanoTime();
                    r.flag = m.replace(key, r.expected, r.arg);
                    r.response = System.nanoTime();
                    if (r.flag) lastSeen.put(k, r.arg);
                    break;
                }
                case "compare_and_delete": {
                    Long seen = lastSeen.get(k);
                    r.expected = seen != null ? seen : fresh();
                    r.invoke = System.nanoTime();
                    r.flag = m.remove(key, r.expected);
                    r.response = System.nanoTime();
                    break;
                }
                default:
                    throw new IllegalArgumentException("unknown operation " + kind);
            }
            log.ops.add(r);
        }

        void traverse(long itemWorkNs) {
            Range r = new Range();
            r.thread = thread;
            r.start = System.nanoTime();
            for (Map.Entry<Long, Long> e : m.entrySet()) {
                r.add(e.getKey(), e.getValue());
                if (itemWorkNs > 0) {
                    long until = System.nanoTime() + itemWorkNs;
                    while (System.nanoTime() < until) Thread.onSpinWait();
                }
            }
            r.end = System.nanoTime();
            log.ranges.add(r);
        }
    }

    static Spec readSpec(BufferedReader in) throws Exception {
        Spec s = new Spec();
        String header = in.readLine();
        if (!"syncmap-peer-spec 1".equals(header)) throw new IllegalArgumentException("expected the header 'syncmap-peer-spec 1'");
        for (String line; ; ) {
            line = in.readLine();
            if (line == null) throw new IllegalArgumentException("spec ends without 'end'");
            String[] f = line.trim().split(" +");
            if (f[0].isEmpty()) continue;
            if (f[0].equals("end")) break;
            switch (f[0]) {
                case "map": s.map = f[1]; break;
                case "mode": s.mode = f[1]; break;
                case "seed": s.seed = Long.parseUnsignedLong(f[1]); break;
                case "seconds": s.seconds = Double.parseDouble(f[1]); break;
                case "preload": s.preload = Long.parseLong(f[1]); break;
                case "writers": s.writers = Integer.parseInt(f[1]); break;
                case "ops_per_writer": s.opsPerWriter = Long.parseLong(f[1]); break;
                case "stable": s.stableLo = Long.parseLong(f[1]); s.stableHi = Long.parseLong(f[2]); s.stablePercent = Long.parseLong(f[3]); break;
                case "churn": s.churnLo = Long.parseLong(f[1]); s.churnHi = Long.parseLong(f[2]); break;
                case "mix":
                    for (int i = 1; i + 1 < f.length; i += 2) {
                        s.kinds.add(f[i]);
                        s.weights.add(Long.parseLong(f[i + 1]));
                    }
                    break;
                case "rangers": s.rangers = Integer.parseInt(f[1]); break;
                case "traversals": s.traversals = Long.parseLong(f[1]); break;
                case "item_work_ns": s.itemWorkNs = Long.parseLong(f[1]); break;
                default: throw new IllegalArgumentException("unknown spec field " + f[0]);
            }
        }
        return s;
    }

    static String pick(SplittableRandom rng, Spec s) {
        long total = 0;
        for (long w : s.weights) total += w;
        long x = rng.nextLong(total);
        for (int i = 0; i < s.kinds.size(); ++i) {
            if (x < s.weights.get(i)) return s.kinds.get(i);
            x -= s.weights.get(i);
        }
        return s.kinds.get(s.kinds.size() - 1);
    }

    static void sleepUntil(long due, AtomicBoolean stop) {
        for (long now = System.nanoTime(); now < due && !stop.get(); now = System.nanoTime())
            LockSupport.parkNanos(Math.min(due - now, 5_000_000L));
    }

    // Preload, then writers and rangers together until the deadline, the writers' budget,
    // or (with rangers) the rangers' last traversal; both paced over the run as the lab's
    // own run_ranged paces them.
    static Log[] runWorkload(ConcurrentMap<Long, Long> m, Spec s) throws Exception {
        int threads = s.writers + s.rangers;
        Log[] logs = new Log[threads + 1];
        for (int i = 0; i <= threads; ++i) logs[i] = new Log();
        Recorder pre = new Recorder(m, PRELOAD_THREAD, logs[threads]);
        for (long k = 0; k < s.preload; ++k) pre.execute("store", k);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger rangersDone = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        long runNs = (long) (s.seconds * 0.9e9);
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; ++t) {
            final int id = t;
            workers[t] = new Thread(() -> {
                Recorder rec = new Recorder(m, id, logs[id]);
                SplittableRandom rng = new SplittableRandom(s.seed * 0x9e3779b97f4a7c15L + id + 1);
                try { start.await(); } catch (InterruptedException e) { return; }
                long begin = System.nanoTime();
                if (id < s.writers) {
                    long budget = s.opsPerWriter;
                    for (long n = 0; !stop.get() && n < budget && (s.rangers == 0 || rangersDone.get() < s.rangers); ++n) {
                        if (n % 32 == 0) sleepUntil(begin + (long) ((double) runNs * n / budget), stop);
                        if (s.stablePercent > 0 && rng.nextInt(100) < s.stablePercent)
                            rec.execute("store", s.stableLo + rng.nextLong(s.stableHi - s.stableLo));
                        else
                            rec.execute(pick(rng, s), s.churnLo + rng.nextLong(s.churnHi - s.churnLo));
                    }
                    return;
                }
                for (long i = 0; i < s.traversals && !stop.get(); ++i) {
                    sleepUntil(begin + (long) ((double) runNs * i / s.traversals), stop);
                    rec.traverse(s.itemWorkNs);
                }
                rangersDone.incrementAndGet();
            });
            workers[t].start();
        }
        start.countDown();
        long deadline = System.nanoTime() + (long) (s.seconds * 1e9);
        for (Thread w : workers) {
            long left = deadline - System.nanoTime();
            if (left > 0) w.join(Math.max(1, left / 1_000_000));
            if (w.isAlive()) stop.set(true);
        }
        stop.set(true);
        for (Thread w : workers) w.join();
        return logs;
    }

    static void writeHistory(BufferedWriter out, Log[] logs) throws Exception {
        out.write("syncmap-history 1\n");
        long ops = 0, ranges = 0;
        StringBuilder b = new StringBuilder(1 << 16);
        for (Log l : logs) {
            for (Op o : l.ops) {
                b.setLength(0);
                b.append("op ").append(o.thread).append(' ').append(o.kind).append(' ')
                    .append(Long.toUnsignedString(o.key)).append(' ').append(Long.toUnsignedString(o.arg)).append(' ')
                    .append(Long.toUnsignedString(o.expected)).append(' ').append(Long.toUnsignedString(o.result)).append(' ')
                    .append(o.flag ? 1 : 0).append(' ').append(o.invoke).append(' ').append(o.response).append('\n');
                out.append(b);
                ++ops;
            }
            for (Range r : l.ranges) {
                b.setLength(0);
                b.append("range ").append(r.thread).append(' ').append(r.start).append(' ').append(r.end).append(" 0 ")
                    .append(r.size / 2);
                for (int i = 0; i < r.size; i += 2)
                    b.append(' ').append(Long.toUnsignedString(r.items[i])).append(':').append(Long.toUnsignedString(r.items[i + 1]));
                b.append('\n');
                out.append(b);
                ++ranges;
            }
        }
        out.write("end " + ops + " " + ranges + " 0\n");
        out.flush();
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("--version")) {
            System.out.println("Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
            return;
        }
        Spec s;
        try {
            s = readSpec(new BufferedReader(new InputStreamReader(System.in)));
        } catch (Exception e) {
            System.err.println("syncmap-java-peer: " + e.getMessage());
            System.exit(2);
            return;
        }
        ConcurrentMap<Long, Long> m;
        switch (s.map) {
            case "java_chm": m = new ConcurrentHashMap<>(); break;
            case "java_skiplist": m = new ConcurrentSkipListMap<>(); break;
            default:
                System.err.println("syncmap-java-peer: unknown map '" + s.map + "' (java_chm, java_skiplist)");
                System.exit(2);
                return;
        }
        if (!s.mode.equals("workload")) {
            System.err.println("syncmap-java-peer: only workload mode");
            System.exit(2);
        }
        Log[] logs = runWorkload(m, s);
        writeHistory(new BufferedWriter(new OutputStreamWriter(System.out), 1 << 20), logs);
    }
}
