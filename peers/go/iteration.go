package main

import (
	"fmt"
	"math/rand"
	"time"
)

// iterEvent is one line of the single-goroutine iteration log (clause G1).
type iterEvent struct {
	what       string // begin, yield, store, erase, end
	key, value uint64
}

func (e iterEvent) line() string {
	switch e.what {
	case "yield", "store":
		return fmt.Sprintf("iter %s %d %d\n", e.what, e.key, e.value)
	case "erase":
		return fmt.Sprintf("iter erase %d\n", e.key)
	}
	return "iter " + e.what + "\n"
}

// runIteration makes s.traversals passes of `for k, v := range m` over Go's built-in map,
// each from a map of random size (0 to 3000 entries), while the loop body mutates the map:
// inserts fresh keys (sometimes in bursts that make the map grow), deletes the current
// key, deletes other keys (ahead or behind), assigns the current or another key, and
// deletes and re-inserts keys. Every mutation is logged the moment it is made, so the lab
// can replay the pass through its G1 model. Mutations stop after a budget proportional to
// the map's size, so every pass ends.
func runIteration(s *spec) []iterEvent {
	rng := rand.New(rand.NewSource(int64(s.seed)))
	var events []iterEvent
	var nextValue uint64
	fresh := func() uint64 { nextValue++; return nextValue }
	space := uint64(4096) // keys drawn from [0, space); a burst draws beyond it
	nextBurstKey := space
	m := map[uint64]uint64{}
	store := func(k uint64) {
		v := fresh()
		m[k] = v
		events = append(events, iterEvent{what: "store", key: k, value: v})
	}
	erase := func(k uint64) {
		delete(m, k)
		events = append(events, iterEvent{what: "erase", key: k})
	}
	for p := uint64(0); p < s.traversals; p++ {
		if len(m) > 8000 || rng.Intn(3) == 0 {
			for k := range m {
				erase(k)
			}
			for n := rng.Intn(3000); n > 0; n-- {
				store(uint64(rng.Int63n(int64(space))))
			}
		}
		budget := len(m) + 64
		bursts := 0
		events = append(events, iterEvent{what: "begin"})
		for k, v := range m {
			events = append(events, iterEvent{what: "yield", key: k, value: v})
			if budget <= 0 {
				continue
			}
			budget--
			switch roll := rng.Intn(100); {
			case roll < 20:
				store(uint64(rng.Int63n(int64(space))))
			case roll < 22 && bursts < 2:
				bursts++
				for n := 200 + rng.Intn(800); n > 0; n-- {
					store(nextBurstKey)
					nextBurstKey++
				}
			case roll < 35:
				erase(k)
			case roll < 50:
				erase(uint64(rng.Int63n(int64(space))))
			case roll < 60:
				store(k)
			case roll < 65:
				j := uint64(rng.Int63n(int64(space)))
				erase(j)
				store(j)
			}
		}
		events = append(events, iterEvent{what: "end"})
	}
	return events
}

// runRace ranges over a built-in map in one goroutine while another writes to it, for
// s.seconds. Go's runtime checks a "writing" flag at each iteration step and, when it sees
// it, ends the process with "fatal error: concurrent map iteration and map write". The
// check is best-effort: this returns only if it never fired.
func runRace(s *spec) {
	m := make(map[uint64]uint64)
	for k := uint64(0); k < 1024; k++ {
		m[k] = k
	}
	deadline := time.Now().Add(time.Duration(s.seconds * 1e9))
	go func() {
		rng := rand.New(rand.NewSource(int64(s.seed)))
		for i := uint64(0); ; i++ {
			k := uint64(rng.Int63n(1024))
			m[k] = i // the racing write
		}
	}()
	var sum uint64
	for time.Now().Before(deadline) {
		for _, v := range m {
			sum += v
		}
	}
	_ = sum
}
