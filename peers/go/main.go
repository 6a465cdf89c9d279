// syncmap-go-peer: the Go peers of syncmap-lab. It reads a workload spec on stdin, runs it
// on one Go map, and writes the recorded history on stdout, in the line format of
// docs/LAB.md ("Out-of-process peers: the protocol"). Maps: go_sync_map (sync.Map),
// go_map_rwmutex (map + sync.RWMutex) in workload mode; go_map (the built-in map, one
// goroutine iterating and mutating) in iteration mode; and `race` mode, which makes one
// goroutine range over a built-in map while another writes, to see whether the runtime
// ends the process with "concurrent map iteration and map write".
//
// Only the standard library is used.
package main

import (
	"bufio"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == "--version" {
		fmt.Println(goVersion())
		return
	}
	s, err := readSpec(bufio.NewReader(os.Stdin))
	if err != nil {
		fmt.Fprintln(os.Stderr, "syncmap-go-peer:", err)
		os.Exit(2)
	}
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer out.Flush()
	switch s.mode {
	case "workload":
		m, err := newConcurrentMap(s.mapName)
		if err != nil {
			fmt.Fprintln(os.Stderr, "syncmap-go-peer:", err)
			os.Exit(2)
		}
		for _, w := range s.mix {
			if !m.supports(w.kind) {
				fmt.Fprintf(os.Stderr, "syncmap-go-peer: %s does not offer %s\n", s.mapName, w.kind)
				os.Exit(2)
			}
		}
		writeHistory(out, runWorkload(m, s), nil)
	case "iteration":
		if s.mapName != "go_map" {
			fmt.Fprintf(os.Stderr, "syncmap-go-peer: iteration mode runs go_map, not %s\n", s.mapName)
			os.Exit(2)
		}
		writeHistory(out, nil, runIteration(s))
	case "race":
		runRace(s)
		fmt.Fprintln(out, "survived")
	default:
		fmt.Fprintf(os.Stderr, "syncmap-go-peer: unknown mode %q\n", s.mode)
		os.Exit(2)
	}
}
