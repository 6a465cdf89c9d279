// matrix_peer runs the benchmark matrix of bench/matrix (docs/BENCHMARKS.md) in Go's own
// runtime, for sync.Map and for a map behind a sync.RWMutex, and writes the same result
// lines as syncmap-matrix (tab-separated records, bench/matrix/record.hpp).
//
// The keys and streams are those of bench/matrix/keys.hpp, regenerated here from the same
// seeds and algorithms (the report compares every stream's digest). Each cell runs a
// warm-up window, then timed windows; CPU time is the process's (getrusage), which also
// counts the garbage collector. Standard library only.
//
// Usage: go run matrix_peer.go [-quick] [-out FILE]
package main

import (
	"flag"
	"fmt"
	"math"
	"math/bits"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	keySeed    = 0x243f6a8885a308d3
	gamma      = 0x9e3779b97f4a7c15
	valueMask  = 0x5bd1e9955bd1e995
	missBase   = uint64(1) << 40
	churnBase  = uint64(1) << 41
	streamSize = 1 << 20
	streamMask = streamSize - 1
	churnSlice = streamSize / 8
	churnDepth = 16
	zipfTheta  = 0.99
	hitSeed    = 0x13198a2e03707344
	missSeed   = 0xa4093822299f31d0
)

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
func keyOf(i uint64) uint64     { return mix64(keySeed + (i+1)*gamma) }
func valueOf(i uint64) uint64   { return keyOf(i) ^ valueMask }
func stringKey(k uint64) string { return fmt.Sprintf("key:0%016x", k) }

type zipf struct{ n, zetan, alpha, eta, halfPow float64 }

func newZipf(n uint64) *zipf {
	z := 0.0
	for i := uint64(1); i <= n; i++ {
		z += 1.0 / math.Pow(float64(i), zipfTheta)
	}
	zeta2 := 1.0 + 1.0/math.Pow(2.0, zipfTheta)
	return &zipf{float64(n), z, 1.0 / (1.0 - zipfTheta),
		(1.0 - math.Pow(2.0/float64(n), 1.0-zipfTheta)) / (1.0 - zeta2/z), 1.0 + math.Pow(0.5, zipfTheta)}
}
func (z *zipf) rank(x uint64) uint64 {
	u := float64(x>>11) * (1.0 / (1 << 53))
	uz := u * z.zetan
	if uz < 1.0 {
		return 0
	}
	if uz < z.halfPow {
		return 1
	}
	r := uint64(z.n * math.Pow(z.eta*u-z.eta+1.0, z.alpha))
	if r >= uint64(z.n) {
		r = uint64(z.n) - 1
	}
	return r
}

func draw(n uint64, dist string, z *zipf, seed, base uint64) []uint64 {
	out := make([]uint64, streamSize)
	state := seed ^ n
	for i := range out {
		state += gamma
		x := mix64(state)
		var r uint64
		if dist == "uniform" {
			r = ((x >> 32) * n) >> 32
		} else {
			r = z.rank(x)
		}
		out[i] = base + r
	}
	return out
}

func digest(v []uint64) uint64 {
	var s uint64
	for _, x := range v {
		s += x
	}
	return s
}

// ---- maps ----------------------------------------------------------------------------

type benchMap[K comparable] interface {
	Load(K) (uint64, bool)
	Store(K, uint64)
	Delete(K)
	Range(func(K, uint64)) int
}

type syncMap[K comparable] struct{ m sync.Map }

func (s *syncMap[K]) Load(k K) (uint64, bool) {
	v, ok := s.m.Load(k)
	if !ok {
		return 0, false
	}
	return v.(uint64), true
}
func (s *syncMap[K]) Store(k K, v uint64) { s.m.Store(k, v) }
func (s *syncMap[K]) Delete(k K)          { s.m.Delete(k) }
func (s *syncMap[K]) Range(f func(K, uint64)) int {
	n := 0
	s.m.Range(func(k, v any) bool { f(k.(K), v.(uint64)); n++; return true })
	return n
}

type rwMap[K comparable] struct {
	mu sync.RWMutex
	m  map[K]uint64
}

func (s *rwMap[K]) Load(k K) (uint64, bool) {
	s.mu.RLock()
	v, ok := s.m[k]
	s.mu.RUnlock()
	return v, ok
}
func (s *rwMap[K]) Store(k K, v uint64) { s.mu.Lock(); s.m[k] = v; s.mu.Unlock() }
func (s *rwMap[K]) Delete(k K)          { s.mu.Lock(); delete(s.m, k); s.mu.Unlock() }
func (s *rwMap[K]) Range(f func(K, uint64)) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for k, v := range s.m {
		f(k, v)
	}
	return len(s.m)
}

// ---- records and progress -------------------------------------------------------------

var out *os.File

func rec(kind string, fields ...any) {
	var b strings.Builder
	b.WriteString(kind)
	for i := 0; i+1 < len(fields); i += 2 {
		fmt.Fprintf(&b, "\t%v=", fields[i])
		switch v := fields[i+1].(type) {
		case float64:
			fmt.Fprintf(&b, "%.6g", v)
		default:
			fmt.Fprintf(&b, "%v", v)
		}
	}
	b.WriteString("\n")
	out.WriteString(b.String())
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)*1e-6
}

func clockText(s float64) string { return fmt.Sprintf("%d:%02d", int(s)/60, int(s)%60) }

func sizeLabel(n uint64) string {
	if n%1000000 == 0 {
		return fmt.Sprintf("%dM", n/1000000)
	}
	if n%1000 == 0 {
		return fmt.Sprintf("%dK", n/1000)
	}
	return fmt.Sprint(n)
}

type options struct {
	quick          bool
	sizes          []uint64
	threads        []int
	warm, window   time.Duration
	windows        int
	minTraversal   float64
	latencySize    uint64
	latencySeconds float64
}

// ---- cells ----------------------------------------------------------------------------

var mixes = []string{"read_hit", "read_miss", "rw90", "rw50", "churn"}

type streams[K comparable] struct {
	hits, misses [2][]K
	hitNumbers   [2][]uint64
	churn        []K
}

func drive[K comparable](m benchMap[K], mix string, s *streams[K], d, thread int, pos uint64, stop *atomic.Bool) (ops, hits uint64) {
	stream := s.hits[d]
	if mix == "read_miss" {
		stream = s.misses[d]
	}
	numbers := s.hitNumbers[d]
	load := func(k K) {
		if _, ok := m.Load(k); ok {
			hits++
		}
	}
	var held uint64
	holding := false
	write := func() {
		if holding {
			m.Store(stream[held&streamMask], valueOf(numbers[held&streamMask]))
		} else {
			held = pos
			pos++
			m.Delete(stream[held&streamMask])
		}
		holding = !holding
	}
	slice := s.churn[thread*churnSlice : (thread+1)*churnSlice]
	inserted := uint64(0)
	start := pos
	// At least one round, so that no window counts zero operations.
	for first := true; first || !stop.Load(); first = false {
		switch mix {
		case "read_hit", "read_miss":
			for i := 0; i < 256; i++ {
				load(stream[pos&streamMask])
				pos++
			}
			ops += 256
		case "rw90":
			for r := 0; r < 25; r++ {
				for i := 0; i < 9; i++ {
					load(stream[pos&streamMask])
					pos++
				}
				write()
			}
			ops += 250
		case "rw50":
			for r := 0; r < 125; r++ {
				load(stream[pos&streamMask])
				pos++
				write()
			}
			ops += 250
		case "churn":
			for i := 0; i < 128; i++ {
				m.Store(slice[(start+inserted)&(churnSlice-1)], inserted)
				inserted++
				if inserted > churnDepth {
					m.Delete(slice[(start+inserted-1-churnDepth)&(churnSlice-1)])
				}
			}
			ops += 256
		}
	}
	if holding {
		m.Store(stream[held&streamMask], valueOf(numbers[held&streamMask]))
	}
	from := uint64(0)
	if inserted > churnDepth {
		from = inserted - churnDepth
	}
	for i := from; i < inserted; i++ {
		m.Delete(slice[(start+i)&(churnSlice-1)])
	}
	return
}

func window[K comparable](m benchMap[K], mix string, s *streams[K], d, threads int, sample uint64, length time.Duration) (ops, hits uint64, wall, cpu float64) {
	var stop atomic.Bool
	var wg sync.WaitGroup
	var ready sync.WaitGroup
	gate := make(chan struct{})
	var totalOps, totalHits atomic.Uint64
	ready.Add(threads)
	wg.Add(threads)
	for t := 0; t < threads; t++ {
		start := (sample*0x9e3779b1 + uint64(t)*(streamSize/uint64(threads))) & streamMask
		go func(t int, start uint64) {
			defer wg.Done()
			ready.Done()
			<-gate
			o, h := drive(m, mix, s, d, t, start, &stop)
			totalOps.Add(o)
			totalHits.Add(h)
		}(t, start)
	}
	ready.Wait()
	cpu0 := cpuSeconds()
	begin := time.Now()
	close(gate)
	time.Sleep(length)
	stop.Store(true)
	wg.Wait()
	wall = time.Since(begin).Seconds()
	cpu = cpuSeconds() - cpu0
	return totalOps.Load(), totalHits.Load(), wall, cpu
}

func median(v []float64) float64 {
	sort.Float64s(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// Latency histogram: buckets of 1/16 octave from 16 ns, as bench/matrix/measure.hpp.
type histogram struct {
	counts     [1024]uint64
	total, max uint64
}

func bucketOf(ns uint64) int {
	if ns < 16 {
		return int(ns)
	}
	msb := 63 - bits.LeadingZeros64(ns)
	return (msb-3)*16 + int((ns>>(msb-4))&15)
}
func lowerBound(i int) uint64 {
	if i < 16 {
		return uint64(i)
	}
	msb := i/16 + 3
	return uint64(16+i%16) << (msb - 4)
}
func (h *histogram) add(ns uint64) {
	h.counts[bucketOf(ns)]++
	h.total++
	if ns > h.max {
		h.max = ns
	}
}
func (h *histogram) quantile(q float64) uint64 {
	rank := uint64(q * float64(h.total))
	seen := uint64(0)
	for i, c := range h.counts {
		seen += c
		if seen > rank {
			return lowerBound(i)
		}
	}
	return h.max
}
func (h *histogram) cdf() string {
	var parts []string
	seen := uint64(0)
	for i, c := range h.counts {
		if c == 0 {
			continue
		}
		seen += c
		parts = append(parts, fmt.Sprintf("%d:%.7f", lowerBound(i), float64(seen)/float64(h.total)))
	}
	return strings.Join(parts, ",")
}

func heapBytes() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func runMap[K comparable](o *options, name, keyName string, newMap func() benchMap[K], conv func(uint64) K,
	nums map[uint64]*[2][2][]uint64, churn []uint64, progress func(string, float64)) {
	var st = map[uint64]*streams[K]{}
	churnKeys := make([]K, len(churn))
	for i, v := range churn {
		churnKeys[i] = conv(keyOf(v))
	}
	for size, n := range nums {
		s := &streams[K]{churn: churnKeys}
		for d := 0; d < 2; d++ {
			s.hitNumbers[d] = n[d][0]
			s.hits[d] = make([]K, streamSize)
			s.misses[d] = make([]K, streamSize)
			for i := 0; i < streamSize; i++ {
				s.hits[d][i] = conv(keyOf(n[d][0][i]))
				s.misses[d][i] = conv(keyOf(n[d][1][i]))
			}
		}
		st[size] = s
	}
	base := heapBytes()
	m := newMap()
	grown := uint64(0)
	var valueSum uint64
	for _, size := range o.sizes {
		t0 := time.Now()
		for ; grown < size; grown++ {
			m.Store(conv(keyOf(grown)), valueOf(grown))
			valueSum += valueOf(grown)
		}
		used := heapBytes() - base
		rec("memory", "runtime", "go1.19", "map", name, "key", keyName, "entries", size, "bytes", used,
			"bytes_per_entry", float64(used)/float64(size))
		s := st[size]
		for _, mix := range mixes {
			for d, dist := range []string{"uniform", "zipf"} {
				if mix == "churn" && d == 1 {
					continue
				}
				for _, th := range o.threads {
					window(m, mix, s, d, th, 0, o.warm)
					var wall, cpu []float64
					var ops, hits uint64
					for w := 0; w < o.windows; w++ {
						op, h, ws, cs := window(m, mix, s, d, th, uint64(w+1), o.window)
						wall = append(wall, ws*1e9/float64(op))
						cpu = append(cpu, cs*1e9/float64(op))
						ops += op
						hits += h
					}
					if (mix == "read_hit" && hits != ops) || (mix == "read_miss" && hits != 0) {
						rec("error", "runtime", "go1.19", "map", name, "key", keyName, "size", size, "mix", mix,
							"message", "a load returned the wrong presence")
					}
					dl := dist
					if mix == "churn" {
						dl = "none"
					}
					ns := median(wall)
					rec("point", "runtime", "go1.19", "map", name, "key", keyName, "size", size, "dist", dl, "mix", mix,
						"threads", th, "windows", o.windows, "ops", ops, "ns_per_op", ns, "cpu_ns_per_op", median(cpu),
						"mops", 1e3/ns)
				}
			}
		}
		// traversal
		passes, wall, cpu := 0, 0.0, 0.0
		wrong := false
		for wall < o.minTraversal {
			var sum uint64
			c0, t := cpuSeconds(), time.Now()
			n := m.Range(func(_ K, v uint64) { sum += v })
			wall += time.Since(t).Seconds()
			cpu += cpuSeconds() - c0
			wrong = wrong || uint64(n) != size || sum != valueSum
			passes++
		}
		if wrong {
			rec("error", "runtime", "go1.19", "map", name, "key", keyName, "size", size, "mix", "iterate",
				"message", "a traversal missed or repeated entries")
		}
		entries := float64(passes) * float64(size)
		rec("iterate", "runtime", "go1.19", "map", name, "key", keyName, "size", size, "passes", passes,
			"ns_per_entry", wall*1e9/entries, "cpu_ns_per_entry", cpu*1e9/entries)
		if size == o.latencySize {
			for _, traversing := range []bool{false, true} {
				latency(o, m, s, name, keyName, size, traversing)
			}
		}
		progress(fmt.Sprintf("%s %s %s", name, keyName, sizeLabel(size)), time.Since(t0).Seconds())
	}
}

func latency[K comparable](o *options, m benchMap[K], s *streams[K], name, keyName string, size uint64, traversing bool) {
	var stop atomic.Bool
	var passes atomic.Uint64
	var wg sync.WaitGroup
	if traversing {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				m.Range(func(K, uint64) {})
				passes.Add(1)
			}
		}()
		time.Sleep(time.Millisecond)
	}
	var h histogram
	end := time.Now().Add(time.Duration(o.latencySeconds * float64(time.Second)))
	for pos := 0; ; pos++ {
		t0 := time.Now()
		if t0.After(end) {
			break
		}
		i := pos & streamMask
		m.Delete(s.hits[0][i])
		t1 := time.Now()
		m.Store(s.hits[0][i], valueOf(s.hitNumbers[0][i]))
		t2 := time.Now()
		h.add(uint64(t1.Sub(t0).Nanoseconds()))
		h.add(uint64(t2.Sub(t1).Nanoseconds()))
	}
	stop.Store(true)
	wg.Wait()
	tr := "none"
	if traversing {
		tr = "running"
	}
	kind := "never blocks writers"
	if name == "go_rwmutex_map" {
		kind = "blocks writers for the whole pass"
	}
	rec("latency", "runtime", "go1.19", "map", name, "key", keyName, "size", size, "traversal", tr, "kind", kind,
		"ops", h.total, "passes", passes.Load(), "p50_ns", h.quantile(0.5), "p99_ns", h.quantile(0.99),
		"p999_ns", h.quantile(0.999), "max_ns", h.max, "cdf", h.cdf())
}

func main() {
	quick := flag.Bool("quick", false, "reduced matrix (sizes 1K, 64K, 1M; short windows)")
	outPath := flag.String("out", "go-results.txt", "result lines")
	flag.Parse()
	o := &options{sizes: []uint64{1000, 64000, 1000000, 16000000}, threads: []int{1, 2, 4, 8},
		warm: 20 * time.Millisecond, window: 60 * time.Millisecond, windows: 3, minTraversal: 0.1,
		latencySize: 1000000, latencySeconds: 1.5}
	if *quick {
		o.quick = true
		o.sizes = []uint64{1000, 64000, 1000000}
		o.warm, o.window, o.windows, o.minTraversal = 4*time.Millisecond, 12*time.Millisecond, 1, 0.02
		o.latencySize, o.latencySeconds = 64000, 0.3
	}
	f, err := os.Create(*outPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out = f
	defer f.Close()
	start := time.Now()
	load, _ := os.ReadFile("/proc/loadavg")
	loadText := func(b []byte) string { return strings.Join(strings.Fields(string(b))[:3], " ") }
	q := 0
	if o.quick {
		q = 1
	}
	rec("meta", "runtime", "go1.19", "measured", "in its runtime", "quick", q, "load_before", loadText(load),
		"cores", runtime.NumCPU(), "windows", o.windows, "window_ms", float64(o.window.Milliseconds()))
	maps := []struct{ name, what string }{
		{"go_sync_map", "Go 1.19 sync.Map (interface{} values)"},
		{"go_rwmutex_map", "Go 1.19 map[K]uint64 + sync.RWMutex; Range under RLock"},
	}
	for _, k := range []string{"u64", "string"} {
		for _, m := range maps {
			tr := "never blocks writers"
			if m.name == "go_rwmutex_map" {
				tr = "blocks writers for the whole pass"
			}
			rec("map", "runtime", "go1.19", "map", m.name, "key", k, "what", m.what, "measured", "in its runtime",
				"concurrent_erase", "yes", "traversal", tr)
		}
	}
	nums := map[uint64]*[2][2][]uint64{}
	for _, size := range o.sizes {
		z := newZipf(size)
		n := &[2][2][]uint64{}
		for d, dist := range []string{"uniform", "zipf"} {
			n[d][0] = draw(size, dist, z, hitSeed, 0)
			n[d][1] = draw(size, dist, z, missSeed, missBase)
			rec("stream", "runtime", "go1.19", "size", size, "dist", dist, "kind", "hit", "digest", digest(n[d][0]))
			rec("stream", "runtime", "go1.19", "size", size, "dist", dist, "kind", "miss", "digest", digest(n[d][1]))
		}
		nums[size] = n
	}
	churn := make([]uint64, streamSize)
	for i := range churn {
		churn[i] = churnBase + uint64(i)
	}
	groups := 2 * 2 * len(o.sizes)
	done := 0
	progress := func(what string, seconds float64) {
		done++
		elapsed := time.Since(start).Seconds()
		left := elapsed * float64(groups-done) / float64(done)
		fmt.Printf("[%3d/%d] %-34s %6.1f s | elapsed %s, about %s left\n", done, groups, "go "+what, seconds,
			clockText(elapsed), clockText(left))
	}
	runMap(o, "go_sync_map", "u64", func() benchMap[uint64] { return &syncMap[uint64]{} }, func(k uint64) uint64 { return k }, nums, churn, progress)
	runMap(o, "go_rwmutex_map", "u64", func() benchMap[uint64] { return &rwMap[uint64]{m: map[uint64]uint64{}} }, func(k uint64) uint64 { return k }, nums, churn, progress)
	runMap(o, "go_sync_map", "string", func() benchMap[string] { return &syncMap[string]{} }, stringKey, nums, churn, progress)
	runMap(o, "go_rwmutex_map", "string", func() benchMap[string] { return &rwMap[string]{m: map[string]uint64{}} }, stringKey, nums, churn, progress)
	load, _ = os.ReadFile("/proc/loadavg")
	rec("meta", "runtime", "go1.19", "load_after", loadText(load), "seconds", time.Since(start).Seconds())
	fmt.Printf("go matrix done in %s; results in %s\n", clockText(time.Since(start).Seconds()), *outPath)
}
