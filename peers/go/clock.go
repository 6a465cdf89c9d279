package main

import (
	"syscall"
	"unsafe"
)

// monotonicNow returns CLOCK_MONOTONIC in nanoseconds, the clock the lab reads. Go's own
// time.Now() carries a monotonic reading relative to the process start, not this absolute
// value, so the clock is read with the system call itself (RawSyscall: it never blocks, so
// the scheduler need not be told).
func monotonicNow() uint64 {
	const clockMonotonic = 1
	var ts syscall.Timespec
	_, _, errno := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic, uintptr(unsafe.Pointer(&ts)), 0)
	if errno != 0 {
		panic("clock_gettime(CLOCK_MONOTONIC): " + errno.Error())
	}
	return uint64(ts.Sec)*1_000_000_000 + uint64(ts.Nsec)
}

// work spends about ns nanoseconds, as a traversal callback doing a little work would.
func work(ns uint64) {
	if ns == 0 {
		return
	}
	until := monotonicNow() + ns
	for monotonicNow() < until {
	}
}
