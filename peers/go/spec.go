package main

import (
	"bufio"
	"fmt"
	"runtime"
	"strconv"
	"strings"
)

type weight struct {
	kind   string
	weight uint64
}

type spec struct {
	mapName, mode      string
	seed               uint64
	seconds            float64
	preload            uint64
	writers            int
	opsPerWriter       uint64
	stableLo, stableHi uint64
	stablePercent      uint64
	churnLo, churnHi   uint64
	mix                []weight
	rangers            int
	traversals         uint64
	itemWorkNs         uint64
}

func goVersion() string { return runtime.Version() }

// readSpec parses the lines `name value...` up to `end` (docs/LAB.md).
func readSpec(r *bufio.Reader) (*spec, error) {
	s := &spec{mode: "workload", seconds: 0.2, writers: 1}
	header, err := r.ReadString('\n')
	if err != nil || strings.TrimSpace(header) != "syncmap-peer-spec 1" {
		return nil, fmt.Errorf("expected the header 'syncmap-peer-spec 1'")
	}
	num := func(f string) uint64 {
		v, e := strconv.ParseUint(f, 10, 64)
		if e != nil && err == nil {
			err = fmt.Errorf("bad number %q", f)
		}
		return v
	}
	for {
		line, e := r.ReadString('\n')
		if e != nil {
			return nil, fmt.Errorf("spec ends without 'end'")
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if f[0] == "end" {
			break
		}
		need := map[string]int{"map": 2, "mode": 2, "seed": 2, "seconds": 2, "preload": 2, "writers": 2,
			"ops_per_writer": 2, "stable": 4, "churn": 3, "rangers": 2, "traversals": 2, "item_work_ns": 2}
		if n, ok := need[f[0]]; ok && len(f) != n {
			return nil, fmt.Errorf("spec line %q: expected %d fields", strings.TrimSpace(line), n)
		}
		switch f[0] {
		case "map":
			s.mapName = f[1]
		case "mode":
			s.mode = f[1]
		case "seed":
			s.seed = num(f[1])
		case "seconds":
			s.seconds, e = strconv.ParseFloat(f[1], 64)
			if e != nil {
				return nil, fmt.Errorf("bad seconds %q", f[1])
			}
		case "preload":
			s.preload = num(f[1])
		case "writers":
			s.writers = int(num(f[1]))
		case "ops_per_writer":
			s.opsPerWriter = num(f[1])
		case "stable":
			s.stableLo, s.stableHi, s.stablePercent = num(f[1]), num(f[2]), num(f[3])
		case "churn":
			s.churnLo, s.churnHi = num(f[1]), num(f[2])
		case "mix":
			if len(f)%2 != 1 {
				return nil, fmt.Errorf("mix needs kind/weight pairs")
			}
			for i := 1; i < len(f); i += 2 {
				s.mix = append(s.mix, weight{f[i], num(f[i+1])})
			}
		case "rangers":
			s.rangers = int(num(f[1]))
		case "traversals":
			s.traversals = num(f[1])
		case "item_work_ns":
			s.itemWorkNs = num(f[1])
		default:
			return nil, fmt.Errorf("unknown spec field %q", f[0])
		}
		if err != nil {
			return nil, err
		}
	}
	if s.stablePercent < 100 && len(s.mix) > 0 && s.churnHi <= s.churnLo {
		return nil, fmt.Errorf("empty churn key range")
	}
	if s.stablePercent > 0 && s.stableHi <= s.stableLo {
		return nil, fmt.Errorf("empty stable key range")
	}
	return s, nil
}
