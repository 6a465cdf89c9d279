package main

import (
	"bufio"
	"math/rand"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// opRecord is one point operation, exactly the lab's op_record (lab/core/history.hpp).
type opRecord struct {
	thread                     uint16
	kind                       string
	key, arg, expected, result uint64
	flag                       bool
	invoke, response           uint64
}

type rangeRecord struct {
	thread     uint16
	start, end uint64
	stopped    bool
	items      [][2]uint64
}

type threadLog struct {
	ops    []opRecord
	ranges []rangeRecord
}

const preloadThread = 0xfffe

// recorder runs operations for one goroutine: fresh values (thread+1)<<40 | sequence,
// the clock read immediately before the call and after it returns.
type recorder struct {
	m        concurrentMap
	thread   uint16
	seq      uint64
	log      *threadLog
	lastSeen map[uint64]uint64 // CAS arguments that can succeed
}

func newRecorder(m concurrentMap, thread uint16, log *threadLog) *recorder {
	return &recorder{m: m, thread: thread, log: log, lastSeen: make(map[uint64]uint64)}
}

func (r *recorder) fresh() uint64 {
	r.seq++
	return (uint64(r.thread)+1)<<40 | r.seq
}

func (r *recorder) execute(kind string, k uint64) {
	rec := opRecord{thread: r.thread, kind: kind, key: k}
	switch kind {
	case "load", "contains":
		rec.invoke = monotonicNow()
		v, ok := r.m.load(k)
		rec.response = monotonicNow()
		rec.flag = ok
		if kind == "load" {
			rec.result = v
		}
		if ok {
			r.lastSeen[k] = v
		}
	case "store":
		rec.arg = r.fresh()
		rec.invoke = monotonicNow()
		r.m.store(k, rec.arg)
		rec.response = monotonicNow()
		r.lastSeen[k] = rec.arg
	case "load_or_store":
		rec.arg = r.fresh()
		rec.invoke = monotonicNow()
		rec.result, rec.flag = r.m.loadOrStore(k, rec.arg)
		rec.response = monotonicNow()
		r.lastSeen[k] = rec.result
	case "load_and_delete":
		rec.invoke = monotonicNow()
		rec.result, rec.flag = r.m.loadAndDelete(k)
		rec.response = monotonicNow()
	case "erase":
		rec.invoke = monotonicNow()
		rec.flag = r.m.erase(k)
		rec.response = monotonicNow()
	case "exchange":
		rec.arg = r.fresh()
		rec.invoke = monotonicNow()
		rec.result, rec.flag = r.m.exchange(k, rec.arg)
		rec.response = monotonicNow()
		r.lastSeen[k] = rec.arg
	case "compare_and_swap":
		rec.arg = r.fresh()
		rec.expected = r.lastSeen[k]
		if rec.expected == 0 {
			rec.expected = rec.arg // never seen: a value the map cannot hold yet
		}
		rec.invoke = monotonicNow()
		rec.flag = r.m.compareAndSwap(k, rec.expected, rec.arg)
		rec.response = monotonicNow()
		if rec.flag {
			r.lastSeen[k] = rec.arg
		}
	case "compare_and_delete":
		rec.expected = r.lastSeen[k]
		if rec.expected == 0 {
			rec.expected = r.fresh() // never seen: cannot match
		}
		rec.invoke = monotonicNow()
		rec.flag = r.m.compareAndDelete(k, rec.expected)
		rec.response = monotonicNow()
	default:
		panic("unknown operation " + kind)
	}
	r.log.ops = append(r.log.ops, rec)
}

func (r *recorder) traverse(itemWorkNs uint64) {
	rec := rangeRecord{thread: r.thread}
	rec.start = monotonicNow()
	r.m.rangeAll(func(k, v uint64) bool {
		rec.items = append(rec.items, [2]uint64{k, v})
		work(itemWorkNs)
		return true
	})
	rec.end = monotonicNow()
	r.log.ranges = append(r.log.ranges, rec)
}

func pick(rng *rand.Rand, mix []weight) string {
	var total uint64
	for _, w := range mix {
		total += w.weight
	}
	x := uint64(rng.Int63n(int64(total)))
	for _, w := range mix {
		if x < w.weight {
			return w.kind
		}
		x -= w.weight
	}
	return mix[len(mix)-1].kind
}

// sleepUntil waits for the monotonic instant `due` (or the stop flag), in slices of at
// most 5 ms.
func sleepUntil(due uint64, stop *atomic.Bool) {
	for now := monotonicNow(); now < due && !stop.Load(); now = monotonicNow() {
		d := time.Duration(due - now)
		if d > 5*time.Millisecond {
			d = 5 * time.Millisecond
		}
		time.Sleep(d)
	}
}

// runWorkload: preload, then writers and rangers together until the deadline, the
// writers' budget, or (with rangers) the rangers' last traversal. Writers and traversals
// are paced over the run as the lab's own run_ranged paces them.
func runWorkload(m concurrentMap, s *spec) []threadLog {
	threads := s.writers + s.rangers
	logs := make([]threadLog, threads+1)
	pre := newRecorder(m, preloadThread, &logs[threads])
	for k := uint64(0); k < s.preload; k++ {
		pre.execute("store", k)
	}
	var stop atomic.Bool
	var rangersDone atomic.Int32
	var start, wg sync.WaitGroup
	start.Add(1)
	runNs := uint64(s.seconds * 0.9 * 1e9)
	for t := 0; t < threads; t++ {
		wg.Add(1)
		go func(t int) {
			defer wg.Done()
			rec := newRecorder(m, uint16(t), &logs[t])
			rng := rand.New(rand.NewSource(int64(s.seed*0x9e3779b97f4a7c15 + uint64(t) + 1)))
			start.Wait()
			begin := monotonicNow()
			if t < s.writers {
				budget := s.opsPerWriter
				for n := uint64(0); !stop.Load() && n < budget && (s.rangers == 0 || int(rangersDone.Load()) < s.rangers); n++ {
					if n%32 == 0 {
						sleepUntil(begin+runNs*n/budget, &stop)
					}
					if s.stablePercent > 0 && uint64(rng.Intn(100)) < s.stablePercent {
						rec.execute("store", s.stableLo+uint64(rng.Int63n(int64(s.stableHi-s.stableLo))))
					} else {
						rec.execute(pick(rng, s.mix), s.churnLo+uint64(rng.Int63n(int64(s.churnHi-s.churnLo))))
					}
				}
				return
			}
			for i := uint64(0); i < s.traversals && !stop.Load(); i++ {
				sleepUntil(begin+runNs*i/s.traversals, &stop)
				rec.traverse(s.itemWorkNs)
			}
			rangersDone.Add(1)
		}(t)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	start.Done()
	select {
	case <-done:
	case <-time.After(time.Duration(s.seconds * 1e9)):
		stop.Store(true)
		<-done
	}
	return logs
}

// writeHistory writes the records in the protocol's line format, then the end record.
func writeHistory(out *bufio.Writer, logs []threadLog, events []iterEvent) {
	out.WriteString("syncmap-history 1\n")
	var ops, ranges uint64
	var b []byte
	u := func(v uint64) { b = strconv.AppendUint(b, v, 10); b = append(b, ' ') }
	for _, l := range logs {
		for _, o := range l.ops {
			b = append(b[:0], "op "...)
			u(uint64(o.thread))
			b = append(b, o.kind...)
			b = append(b, ' ')
			u(o.key)
			u(o.arg)
			u(o.expected)
			u(o.result)
			if o.flag {
				u(1)
			} else {
				u(0)
			}
			u(o.invoke)
			b = strconv.AppendUint(b, o.response, 10)
			b = append(b, '\n')
			out.Write(b)
			ops++
		}
		for _, r := range l.ranges {
			b = append(b[:0], "range "...)
			u(uint64(r.thread))
			u(r.start)
			u(r.end)
			if r.stopped {
				u(1)
			} else {
				u(0)
			}
			b = strconv.AppendUint(b, uint64(len(r.items)), 10)
			for _, it := range r.items {
				b = append(b, ' ')
				b = strconv.AppendUint(b, it[0], 10)
				b = append(b, ':')
				b = strconv.AppendUint(b, it[1], 10)
			}
			b = append(b, '\n')
			out.Write(b)
			ranges++
		}
	}
	for _, e := range events {
		out.WriteString(e.line())
	}
	b = append(b[:0], "end "...)
	u(ops)
	u(ranges)
	b = strconv.AppendUint(b, uint64(len(events)), 10)
	b = append(b, '\n')
	out.Write(b)
}
