package main

import (
	"fmt"
	"sync"
)

// concurrentMap is what the workload drives: each method is one atomic operation of the
// map under test, with the lab's operation semantics (docs/LAB.md, "op" records).
type concurrentMap interface {
	supports(kind string) bool
	load(k uint64) (uint64, bool)
	store(k, v uint64)
	loadOrStore(k, v uint64) (uint64, bool)
	loadAndDelete(k uint64) (uint64, bool)
	erase(k uint64) bool
	exchange(k, v uint64) (uint64, bool)
	compareAndSwap(k, old, new uint64) bool
	compareAndDelete(k, old uint64) bool
	rangeAll(f func(k, v uint64) bool)
}

// syncMap is Go's sync.Map as of Go 1.19: Load, Store, LoadOrStore, LoadAndDelete, Delete
// and Range. Delete reports nothing, so the lab's erase (which records whether the key was
// there) is not offered; Swap, CompareAndSwap and CompareAndDelete came in Go 1.20.
type syncMap struct{ m sync.Map }

func (s *syncMap) supports(kind string) bool {
	switch kind {
	case "load", "contains", "store", "load_or_store", "load_and_delete":
		return true
	}
	return false
}
func (s *syncMap) load(k uint64) (uint64, bool) {
	v, ok := s.m.Load(k)
	if !ok {
		return 0, false
	}
	return v.(uint64), true
}
func (s *syncMap) store(k, v uint64) { s.m.Store(k, v) }
func (s *syncMap) loadOrStore(k, v uint64) (uint64, bool) {
	a, loaded := s.m.LoadOrStore(k, v)
	return a.(uint64), loaded
}
func (s *syncMap) loadAndDelete(k uint64) (uint64, bool) {
	v, ok := s.m.LoadAndDelete(k)
	if !ok {
		return 0, false
	}
	return v.(uint64), true
}
func (s *syncMap) erase(uint64) bool                      { panic("sync.Map.Delete does not report") }
func (s *syncMap) exchange(uint64, uint64) (uint64, bool) { panic("no Swap in Go 1.19") }
func (s *syncMap) compareAndSwap(uint64, uint64, uint64) bool {
	panic("no CompareAndSwap in Go 1.19")
}
func (s *syncMap) compareAndDelete(uint64, uint64) bool { panic("no CompareAndDelete in Go 1.19") }
func (s *syncMap) rangeAll(f func(k, v uint64) bool) {
	s.m.Range(func(k, v any) bool { return f(k.(uint64), v.(uint64)) })
}

// rwMutexMap is a built-in map guarded by a sync.RWMutex: every operation under the lock,
// Range under RLock for the whole pass (writers wait for it), the callback included.
type rwMutexMap struct {
	mu sync.RWMutex
	m  map[uint64]uint64
}

func newRWMutexMap() *rwMutexMap { return &rwMutexMap{m: make(map[uint64]uint64)} }

func (r *rwMutexMap) supports(string) bool { return true }
func (r *rwMutexMap) load(k uint64) (uint64, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := r.m[k]
	return v, ok
}
func (r *rwMutexMap) store(k, v uint64) {
	r.mu.Lock()
	r.m[k] = v
	r.mu.Unlock()
}
func (r *rwMutexMap) loadOrStore(k, v uint64) (uint64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.m[k]; ok {
		return a, true
	}
	r.m[k] = v
	return v, false
}
func (r *rwMutexMap) loadAndDelete(k uint64) (uint64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[k]
	delete(r.m, k)
	return v, ok
}
func (r *rwMutexMap) erase(k uint64) bool {
	_, ok := r.loadAndDelete(k)
	return ok
}
func (r *rwMutexMap) exchange(k, v uint64) (uint64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.m[k]
	r.m[k] = v
	return p, ok
}
func (r *rwMutexMap) compareAndSwap(k, old, new uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.m[k]; ok && v == old {
		r.m[k] = new
		return true
	}
	return false
}
func (r *rwMutexMap) compareAndDelete(k, old uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.m[k]; ok && v == old {
		delete(r.m, k)
		return true
	}
	return false
}
func (r *rwMutexMap) rangeAll(f func(k, v uint64) bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for k, v := range r.m {
		if !f(k, v) {
			return
		}
	}
}

func newConcurrentMap(name string) (concurrentMap, error) {
	switch name {
	case "go_sync_map":
		return &syncMap{}, nil
	case "go_map_rwmutex":
		return newRWMutexMap(), nil
	}
	return nil, fmt.Errorf("unknown map %q (workload mode: go_sync_map, go_map_rwmutex)", name)
}
