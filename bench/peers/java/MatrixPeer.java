// MatrixPeer runs the benchmark matrix of bench/matrix (docs/BENCHMARKS.md) in Java's own
// runtime, for java.util.concurrent.ConcurrentHashMap, and writes the same result lines as
// syncmap-matrix (tab-separated records, bench/matrix/record.hpp).
//
// The keys and streams are those of bench/matrix/keys.hpp, regenerated here from the same
// seeds and algorithms (the report compares every stream's digest). Values are boxed Longs,
// as a Java program would store them. Before anything is recorded, every mix runs for a
// while on a small map so that the JIT has compiled the paths; each cell then runs a
// warm-up window and timed windows. CPU time is the worker threads' own (ThreadMXBean).
//
// Usage: java MatrixPeer [--quick] [--out FILE]
import java.io.FileWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

public final class MatrixPeer {
    static final long KEY_SEED = 0x243f6a8885a308d3L, GAMMA = 0x9e3779b97f4a7c15L, VALUE_MASK = 0x5bd1e9955bd1e995L;
    static final long MISS_BASE = 1L << 40, CHURN_BASE = 1L << 41;
    static final int STREAM = 1 << 20, MASK = STREAM - 1, CHURN_SLICE = STREAM / 8, CHURN_DEPTH = 16;
    static final double THETA = 0.99;
    static final long HIT_SEED = 0x13198a2e03707344L, MISS_SEED = 0xa4093822299f31d0L;
    static final String RT = "java17";
    static final String[] MIXES = {"read_hit", "read_miss", "rw90", "rw50", "churn"};
    static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
    static long keyOf(long i) { return mix64(KEY_SEED + (i + 1) * GAMMA); }
    static long valueOf(long i) { return keyOf(i) ^ VALUE_MASK; }
    static String stringKey(long k) {
        String h = Long.toHexString(k);
        return "key:0" + "0000000000000000".substring(h.length()) + h;
    }

    static final class Zipf {
        final double n, zetan, alpha, eta, halfPow;
        Zipf(long n) {
            double z = 0;
            for (long i = 1; i <= n; i++) z += 1.0 / Math.pow((double) i, THETA);
            double zeta2 = 1.0 + 1.0 / Math.pow(2.0, THETA);
            this.n = n;
            zetan = z;
            alpha = 1.0 / (1.0 - THETA);
            eta = (1.0 - Math.pow(2.0 / n, 1.0 - THETA)) / (1.0 - zeta2 / z);
            halfPow = 1.0 + Math.pow(0.5, THETA);
        }
        long rank(long x) {
            double u = (double) (x >>> 11) * 0x1.0p-53;
            double uz = u * zetan;
            if (uz < 1.0) return 0;
            if (uz < halfPow) return 1;
            long r = (long) (n * Math.pow(eta * u - eta + 1.0, alpha));
            return r < (long) n ? r : (long) n - 1;
        }
    }

    static long[] draw(long n, boolean uniform, Zipf z, long seed, long base) {
        long[] out = new long[STREAM];
        long state = seed ^ n;
        for (int i = 0; i < STREAM; i++) {
            state += GAMMA;
            long x = mix64(state);
            // ((x >> 32) * n) >> 32 with unsigned shifts: the product stays below 2^63.
            long r = uniform ? ((x >>> 32) * n) >>> 32 : z.rank(x);
            out[i] = base + r;
        }
        return out;
    }

    static PrintWriter out;
    static synchronized void rec(String kind, Object... f) {
        StringBuilder b = new StringBuilder(kind);
        for (int i = 0; i + 1 < f.length; i += 2) {
            b.append('\t').append(f[i]).append('=');
            Object v = f[i + 1];
            b.append(v instanceof Double ? String.format("%.6g", (Double) v) : String.valueOf(v));
        }
        out.println(b);
        out.flush();
    }

    static String sizeLabel(long n) {
        if (n % 1_000_000 == 0) return (n / 1_000_000) + "M";
        if (n % 1_000 == 0) return (n / 1_000) + "K";
        return Long.toString(n);
    }
    static String clock(double s) { return String.format("%d:%02d", (int) s / 60, (int) s % 60); }

    // Options
    static long[] sizes = {1_000, 64_000, 1_000_000, 16_000_000};
    static int[] threadCounts = {1, 2, 4, 8};
    static long warmMs = 20, windowMs = 60, jitWarmMs = 200;
    static int windows = 3;
    static double minTraversal = 0.1, latencySeconds = 1.5;
    static long latencySize = 1_000_000;
    static boolean quick = false;

    static final class Streams<K> {
        Object[][] hits = new Object[2][], misses = new Object[2][];
        long[][] hitNumbers = new long[2][];
        Object[] churn;
    }

    static <K> long[] drive(ConcurrentHashMap<K, Long> m, String mix, Streams<K> s, int d, int thread, long pos,
                            AtomicBoolean stop) {
        Object[] stream = mix.equals("read_miss") ? s.misses[d] : s.hits[d];
        long[] numbers = s.hitNumbers[d];
        long ops = 0, hits = 0, held = 0, inserted = 0, start = pos;
        boolean holding = false;
        int sliceBase = thread * CHURN_SLICE;
        do {  // at least one round, so that no window counts zero operations
            switch (mix) {
                case "read_hit":
                case "read_miss":
                    for (int i = 0; i < 256; i++) if (m.get(stream[(int) (pos++ & MASK)]) != null) hits++;
                    ops += 256;
                    break;
                case "rw90":
                case "rw50": {
                    int rounds = mix.equals("rw90") ? 25 : 125, loads = mix.equals("rw90") ? 9 : 1;
                    for (int r = 0; r < rounds; r++) {
                        for (int i = 0; i < loads; i++) if (m.get(stream[(int) (pos++ & MASK)]) != null) hits++;
                        if (holding) {
                            @SuppressWarnings("unchecked") K k = (K) stream[(int) (held & MASK)];
                            m.put(k, valueOf(numbers[(int) (held & MASK)]));
                        } else {
                            held = pos++;
                            m.remove(stream[(int) (held & MASK)]);
                        }
                        holding = !holding;
                    }
                    ops += 250;
                    break;
                }
                case "churn":
                    for (int i = 0; i < 128; i++) {
                        @SuppressWarnings("unchecked") K k = (K) s.churn[sliceBase + (int) ((start + inserted) & (CHURN_SLICE - 1))];
                        m.put(k, inserted);
                        inserted++;
                        if (inserted > CHURN_DEPTH)
                            m.remove(s.churn[sliceBase + (int) ((start + inserted - 1 - CHURN_DEPTH) & (CHURN_SLICE - 1))]);
                    }
                    ops += 256;
                    break;
                default:
                    throw new IllegalStateException(mix);
            }
        } while (!stop.get());
        if (holding) {
            @SuppressWarnings("unchecked") K k = (K) stream[(int) (held & MASK)];
            m.put(k, valueOf(numbers[(int) (held & MASK)]));
        }
        for (long i = inserted > CHURN_DEPTH ? inserted - CHURN_DEPTH : 0; i < inserted; i++)
            m.remove(s.churn[sliceBase + (int) ((start + i) & (CHURN_SLICE - 1))]);
        return new long[] {ops, hits};
    }

    // Returns {ops, hits, wall ns, cpu ns}.
    static <K> double[] window(ConcurrentHashMap<K, Long> m, String mix, Streams<K> s, int d, int threads, long sample,
                               long ms) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean(false), go = new AtomicBoolean(false);
        AtomicLong ops = new AtomicLong(), hits = new AtomicLong(), cpu = new AtomicLong();
        Thread[] pool = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            final int th = t;
            final long start = (sample * 0x9e3779b1L + (long) t * (STREAM / threads)) & MASK;
            pool[t] = new Thread(() -> {
                while (!go.get()) Thread.onSpinWait();
                long c0 = MX.getCurrentThreadCpuTime();
                long[] r = drive(m, mix, s, d, th, start, stop);
                cpu.addAndGet(MX.getCurrentThreadCpuTime() - c0);
                ops.addAndGet(r[0]);
                hits.addAndGet(r[1]);
            });
            pool[t].start();
        }
        long begin = System.nanoTime();
        go.set(true);
        Thread.sleep(ms);
        stop.set(true);
        for (Thread t : pool) t.join();
        long wall = System.nanoTime() - begin;
        return new double[] {ops.get(), hits.get(), wall, cpu.get()};
    }

    static double median(double[] v) {
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    // Latency histogram: buckets of 1/16 octave from 16 ns, as bench/matrix/measure.hpp.
    static final class Histogram {
        long[] counts = new long[1024];
        long total, max;
        static int bucketOf(long ns) {
            if (ns < 16) return (int) ns;
            int msb = 63 - Long.numberOfLeadingZeros(ns);
            return (msb - 3) * 16 + (int) ((ns >>> (msb - 4)) & 15);
        }
        static long lower(int i) { return i < 16 ? i : (long) (16 + i % 16) << (i / 16 + 3 - 4); }
        void add(long ns) { counts[bucketOf(Math.max(0, ns))]++; total++; max = Math.max(max, ns); }
        long quantile(double q) {
            long rank = (long) (q * total), seen = 0;
            for (int i = 0; i < counts.length; i++) if ((seen += counts[i]) > rank) return lower(i);
            return max;
        }
        String cdf() {
            StringBuilder b = new StringBuilder();
            long seen = 0;
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] == 0) continue;
                seen += counts[i];
                if (b.length() > 0) b.append(',');
                b.append(lower(i)).append(':').append(String.format("%.7f", (double) seen / total));
            }
            return b.toString();
        }
    }

    static long heapBytes() {
        Runtime r = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) System.gc();
        return r.totalMemory() - r.freeMemory();
    }

    static long[][][] numbersFor(long size) {
        Zipf z = new Zipf(size);
        long[][][] n = new long[2][2][];
        for (int d = 0; d < 2; d++) {
            n[d][0] = draw(size, d == 0, z, HIT_SEED, 0);
            n[d][1] = draw(size, d == 0, z, MISS_SEED, MISS_BASE);
        }
        return n;
    }

    interface Progress { void done(String what, double seconds); }

    static <K> void runMap(String keyName, LongFunction<K> conv, long[][][][] nums, boolean record, Progress progress)
            throws InterruptedException {
        Object[] churn = new Object[STREAM];
        for (int i = 0; i < STREAM; i++) churn[i] = conv.apply(keyOf(CHURN_BASE + i));
        List<Streams<K>> streams = new ArrayList<>();
        for (int si = 0; si < (record ? nums.length : 1); si++) {  // the warm-up pass uses the first size only
            long[][][] n = nums[si];
            Streams<K> s = new Streams<>();
            s.churn = churn;
            for (int d = 0; d < 2; d++) {
                s.hitNumbers[d] = n[d][0];
                s.hits[d] = new Object[STREAM];
                s.misses[d] = new Object[STREAM];
                for (int i = 0; i < STREAM; i++) {
                    s.hits[d][i] = conv.apply(keyOf(n[d][0][i]));
                    s.misses[d][i] = conv.apply(keyOf(n[d][1][i]));
                }
            }
            streams.add(s);
        }
        long base = heapBytes();
        ConcurrentHashMap<K, Long> m = new ConcurrentHashMap<>();
        long grown = 0, valueSum = 0;
        long[] these = record ? sizes : new long[] {sizes[0]};
        for (int si = 0; si < these.length; si++) {
            long size = these[si];
            long t0 = System.nanoTime();
            for (; grown < size; grown++) {
                m.put(conv.apply(keyOf(grown)), valueOf(grown));
                valueSum += valueOf(grown);
            }
            long used = heapBytes() - base;
            if (record)
                rec("memory", "runtime", RT, "map", "java_chm", "key", keyName, "entries", size, "bytes", used,
                    "bytes_per_entry", (double) used / size);
            Streams<K> s = streams.get(si);
            for (String mix : MIXES) {
                for (int d = 0; d < 2; d++) {
                    if (mix.equals("churn") && d == 1) continue;
                    for (int th : threadCounts) {
                        window(m, mix, s, d, th, 0, record ? warmMs : jitWarmMs);  // the JIT warm-up pass runs longer
                        if (!record) continue;
                        double[] wall = new double[windows], cpu = new double[windows];
                        long ops = 0, hits = 0;
                        for (int w = 0; w < windows; w++) {
                            double[] r = window(m, mix, s, d, th, w + 1, windowMs);
                            wall[w] = r[2] / r[0];
                            cpu[w] = r[3] / r[0];
                            ops += (long) r[0];
                            hits += (long) r[1];
                        }
                        if ((mix.equals("read_hit") && hits != ops) || (mix.equals("read_miss") && hits != 0))
                            rec("error", "runtime", RT, "map", "java_chm", "key", keyName, "size", size, "mix", mix,
                                "message", "a load returned the wrong presence");
                        double ns = median(wall);
                        rec("point", "runtime", RT, "map", "java_chm", "key", keyName, "size", size, "dist",
                            mix.equals("churn") ? "none" : (d == 0 ? "uniform" : "zipf"), "mix", mix, "threads", th,
                            "windows", windows, "ops", ops, "ns_per_op", ns, "cpu_ns_per_op", median(cpu),
                            "mops", 1e3 / ns);
                    }
                }
            }
            if (!record) return;
            long passes = 0;
            double wall = 0, cpu = 0;
            boolean wrong = false;
            do {
                long sum = 0, n = 0, c0 = MX.getCurrentThreadCpuTime(), w0 = System.nanoTime();
                for (Long v : m.values()) { sum += v; n++; }
                wall += (System.nanoTime() - w0) * 1e-9;
                cpu += (MX.getCurrentThreadCpuTime() - c0) * 1e-9;
                wrong |= n != size || sum != valueSum;
                passes++;
            } while (wall < minTraversal);
            if (wrong)
                rec("error", "runtime", RT, "map", "java_chm", "key", keyName, "size", size, "mix", "iterate",
                    "message", "a traversal missed or repeated entries");
            double entries = (double) passes * size;
            rec("iterate", "runtime", RT, "map", "java_chm", "key", keyName, "size", size, "passes", passes,
                "ns_per_entry", wall * 1e9 / entries, "cpu_ns_per_entry", cpu * 1e9 / entries);
            if (size == latencySize) {
                latency(m, s, keyName, size, false);
                latency(m, s, keyName, size, true);
            }
            progress.done("java_chm " + keyName + " " + sizeLabel(size), (System.nanoTime() - t0) * 1e-9);
        }
    }

    static <K> void latency(ConcurrentHashMap<K, Long> m, Streams<K> s, String keyName, long size, boolean traversing)
            throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean(false);
        AtomicLong passes = new AtomicLong();
        Thread walker = null;
        if (traversing) {
            walker = new Thread(() -> {
                long sink = 0;
                while (!stop.get()) {
                    for (Long v : m.values()) sink += v;
                    passes.incrementAndGet();
                }
                if (sink == 42) System.out.print("");
            });
            walker.start();
            Thread.sleep(1);
        }
        Histogram h = new Histogram();
        long end = System.nanoTime() + (long) (latencySeconds * 1e9);
        for (int pos = 0;; pos++) {
            long t0 = System.nanoTime();
            if (t0 >= end) break;
            int i = pos & MASK;
            m.remove(s.hits[0][i]);
            long t1 = System.nanoTime();
            @SuppressWarnings("unchecked") K k = (K) s.hits[0][i];
            m.put(k, valueOf(s.hitNumbers[0][i]));
            long t2 = System.nanoTime();
            h.add(t1 - t0);
            h.add(t2 - t1);
        }
        stop.set(true);
        if (walker != null) walker.join();
        rec("latency", "runtime", RT, "map", "java_chm", "key", keyName, "size", size, "traversal",
            traversing ? "running" : "none", "kind", "never blocks writers", "ops", h.total, "passes", passes.get(),
            "p50_ns", h.quantile(0.5), "p99_ns", h.quantile(0.99), "p999_ns", h.quantile(0.999), "max_ns", h.max,
            "cdf", h.cdf());
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    public static void main(String[] args) throws Exception {
        String outPath = "java-results.txt";
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--quick")) {
                quick = true;
                sizes = new long[] {1_000, 64_000, 1_000_000};
                warmMs = 4;
                jitWarmMs = 30;
                windowMs = 12;
                windows = 1;
                minTraversal = 0.02;
                latencySize = 64_000;
                latencySeconds = 0.3;
            } else if (args[i].equals("--out") && i + 1 < args.length) {
                outPath = args[++i];
            } else {
                System.err.println("usage: java MatrixPeer [--quick] [--out FILE]");
                System.exit(2);
            }
        }
        out = new PrintWriter(new FileWriter(outPath));
        long start = System.nanoTime();
        rec("meta", "runtime", RT, "measured", "in its runtime", "quick", quick ? 1 : 0, "load_before", loadAverage(),
            "cores", Runtime.getRuntime().availableProcessors(), "windows", windows, "window_ms", (double) windowMs);
        for (String k : new String[] {"u64", "string"})
            rec("map", "runtime", RT, "map", "java_chm", "key", k, "what",
                "Java 17 java.util.concurrent.ConcurrentHashMap, boxed Long values; traversal by values()",
                "measured", "in its runtime", "concurrent_erase", "yes", "traversal", "never blocks writers");
        long[][][][] nums = new long[sizes.length][][][];
        for (int i = 0; i < sizes.length; i++) {
            nums[i] = numbersFor(sizes[i]);
            String[] dn = {"uniform", "zipf"};
            for (int d = 0; d < 2; d++) {
                rec("stream", "runtime", RT, "size", sizes[i], "dist", dn[d], "kind", "hit", "digest",
                    Long.toUnsignedString(Arrays.stream(nums[i][d][0]).sum()));
                rec("stream", "runtime", RT, "size", sizes[i], "dist", dn[d], "kind", "miss", "digest",
                    Long.toUnsignedString(Arrays.stream(nums[i][d][1]).sum()));
            }
        }
        final int groups = 2 * sizes.length;
        final int[] done = {0};
        Progress progress = (what, seconds) -> {
            done[0]++;
            double elapsed = (System.nanoTime() - start) * 1e-9;
            System.out.printf("[%3d/%d] %-34s %6.1f s | elapsed %s, about %s left%n", done[0], groups, "java " + what,
                              seconds, clock(elapsed), clock(elapsed * (groups - done[0]) / done[0]));
        };
        // JIT warm-up: every mix and thread count on the smallest size, nothing recorded.
        runMap("u64", k -> k, nums, false, progress);
        runMap("string", MatrixPeer::stringKey, nums, false, progress);
        System.out.printf("java: JIT warm-up done in %.1f s%n", (System.nanoTime() - start) * 1e-9);
        runMap("u64", k -> k, nums, true, progress);
        runMap("string", MatrixPeer::stringKey, nums, true, progress);
        rec("meta", "runtime", RT, "load_after", loadAverage(), "seconds", (System.nanoTime() - start) * 1e-9);
        out.close();
        System.out.printf("java matrix done in %s; results in %s%n", clock((System.nanoTime() - start) * 1e-9), outPath);
    }
}
