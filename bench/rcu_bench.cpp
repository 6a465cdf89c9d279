// bench/rcu_bench.cpp - syncmap-rcu-bench: the cost of entering and leaving a read-side
// section, syncmap's RCU (detail/rcu.hpp) against liburcu's urcu-memb as a library.
//
// Every lookup in syncmap enters and leaves one section, so this pair is paid per read.
//   syncmap_reader/outermost      rcu_reader constructed and destroyed, no section open
//   syncmap_reader/nested         the same inside an open section (nesting count only)
//   syncmap_reader/fence_fallback outermost, with the seq_cst fence readers take where
//                                 membarrier is unavailable
//   liburcu_memb/outermost|nested urcu_memb_read_lock + urcu_memb_read_unlock, called
//                                 out of line as a program linking liburcu-memb does
//                                 (syncmap's old detail/rcu.hpp did exactly this)
// The figure is Google Benchmark's time per iteration (one enter + one leave).
// ClobberMemory keeps the compiler from merging or hoisting iterations.
#include <syncmap/detail/rcu.hpp>

#include <benchmark/benchmark.h>

#include <atomic>

// liburcu's stable ABI (liburcu-memb.so.8). Declared here rather than through
// <urcu/urcu-memb.h>, whose object-like macros (rcu_reader, rcu_barrier, ...) would
// rewrite syncmap's names.
extern "C" {
void urcu_memb_read_lock(void);
void urcu_memb_read_unlock(void);
void urcu_memb_register_thread(void);
void urcu_memb_unregister_thread(void);
}

namespace {

namespace rcu = syncmap::detail;

void syncmap_outermost(benchmark::State& state) {
    { rcu::rcu_reader warm; }  // registration happens outside the timing
    for (auto _ : state) {
        rcu::rcu_reader r;
        benchmark::ClobberMemory();
    }
}
BENCHMARK(syncmap_outermost)->Name("syncmap_reader/outermost");

void syncmap_nested(benchmark::State& state) {
    rcu::rcu_reader outer;
    for (auto _ : state) {
        rcu::rcu_reader r;
        benchmark::ClobberMemory();
    }
}
BENCHMARK(syncmap_nested)->Name("syncmap_reader/nested");

void syncmap_fence_fallback(benchmark::State& state) {
    { rcu::rcu_reader warm; }
    // Readers that fence themselves are correct whatever the grace-period side does, so
    // forcing the flag on in this single-threaded benchmark is safe; it is restored after.
    const bool was = rcu::rcu_globals.reader_fence.exchange(true);
    for (auto _ : state) {
        rcu::rcu_reader r;
        benchmark::ClobberMemory();
    }
    rcu::rcu_globals.reader_fence.store(was);
}
BENCHMARK(syncmap_fence_fallback)->Name("syncmap_reader/fence_fallback");

void liburcu_outermost(benchmark::State& state) {
    urcu_memb_register_thread();
    for (auto _ : state) {
        urcu_memb_read_lock();
        benchmark::ClobberMemory();
        urcu_memb_read_unlock();
    }
    urcu_memb_unregister_thread();
}
BENCHMARK(liburcu_outermost)->Name("liburcu_memb/outermost");

void liburcu_nested(benchmark::State& state) {
    urcu_memb_register_thread();
    urcu_memb_read_lock();
    for (auto _ : state) {
        urcu_memb_read_lock();
        benchmark::ClobberMemory();
        urcu_memb_read_unlock();
    }
    urcu_memb_read_unlock();
    urcu_memb_unregister_thread();
}
BENCHMARK(liburcu_nested)->Name("liburcu_memb/nested");

}  // namespace

BENCHMARK_MAIN();
