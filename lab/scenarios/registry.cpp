#include "scenarios.hpp"

namespace syncmap::lab {

const std::vector<scenario>& all_scenarios() {
    static const std::vector<scenario> list = {
        {"point-ops", "L1: every point operation, uniform and Zipf keys",
         "Workers run a mix of load, contains, store, load_or_store, load_and_delete, erase,\n"
         "exchange, compare_and_swap and compare_and_delete (only those the map performs\n"
         "atomically) over --keys keys (default 256), once with uniform keys and once with\n"
         "Zipf(--zipf) keys. Every per-key history is checked for linearizability (L1).",
         false, run_point_ops},
        {"store-during-range", "pitfall 1: keys stored while a range runs",
         "Half the keys are stable, the other half are stored (and erased) by writers while a\n"
         "thread ranges. Checks W1-W4 and L1; measures the share of keys stored during a range\n"
         "that the range saw (any share is allowed).",
         false, run_store_during_range},
        {"erase-during-range", "pitfall 2: erasing keys ahead of and behind the position",
         "Writers erase and re-insert keys; if the map allows it, the range callback erases\n"
         "keys it already met (and re-inserts them: W2) and keys it has not met yet. Checks\n"
         "W1-W4 and L1; measures how many keys erased ahead were yielded anyway.",
         false, run_erase_during_range},
        {"churn-during-range", "pitfall 3: store/load_and_delete churn on other keys",
         "Writers churn half the keys with store and load_and_delete while a thread ranges;\n"
         "the other half never changes and must be yielded by every range (W1). Also counts\n"
         "ranges that missed a stable key directly. Then a dense leaf: 100 keys erased a few at\n"
         "a time and stored back in another order while one thread ranges back to back,\n"
         "counting keys seen twice per range (W2).",
         false, run_churn_during_range},
        {"two-ranges", "pitfall 4: two traversals at once",
         "Two threads range continuously under writes; each traversal is checked (W1-W4) and\n"
         "the Spearman rank correlation of every overlapping pair's orders is reported.",
         false, run_two_ranges},
        {"growth-during-range", "pitfall 5: growth during traversal",
         "Start with 16 keys, insert 32768 more (or --keys) while a thread ranges, on fresh\n"
         "maps until the run's time is spent. The 16 first keys are present throughout.",
         false, run_growth_during_range},
        {"retired-memory", "pitfall 6: memory retired but not reclaimed, long range vs chunked scans",
         "One writer overwrites keys (up to 1M stores/s); one range lasting about a second runs in\n"
         "the middle, then a busy-wait as long outside any traversal (the control: same CPU\n"
         "load, nothing pinned), then (maps with a cursor scan) one pass of scan calls of 64\n"
         "entries, the same per-entry work done on each batch between calls. Retired-but-not-\n"
         "freed bytes are sampled every 2 ms (maps with deferred reclamation only).",
         true, run_retired_memory},
        {"snapshot-under-churn", "pitfall 7: S1, S2, C4: snapshots while writers store, erase, clear",
         "Writers run every point operation over --keys keys (default 1024) and writer 0 clears\n"
         "the map 8 times per run, so it keeps growing again from empty; one thread takes\n"
         "snapshots. S1: each snapshot's contents must be explained by one instant inside its\n"
         "snapshot() call. S2: right away and again four snapshots later, its size(), iterators,\n"
         "range(), load() and contains() must agree with those contents. C4: a walk of it in\n"
         "chunks of random sizes must yield exactly those contents, each once.",
         false, run_snapshot_under_churn},
        {"snapshot-race", "S1, S2, L1: snapshot() back to back against writers on hot keys",
         "Writers store, erase, load_or_store and exchange --keys keys (default 64: one or two\n"
         "leaves) as fast as they can, so keys are erased and brought back by load_or_store while\n"
         "snapshots live; one thread takes snapshots one at a time, keeps each alive a few\n"
         "microseconds, re-reads it and destroys it, then waits a few microseconds with none\n"
         "alive. The first write to a leaf after a snapshot races its snapshot() call. S1: each\n"
         "snapshot is explained by one instant of its call. S2: re-read before destruction, it\n"
         "still agrees with its contents. L1: every key's history is linearizable.",
         false, run_snapshot_race},
        {"snapshot-memory", "pitfall 7: memory a live snapshot retains, and releases",
         "--keys keys (default 4096) are overwritten (up to 1M stores/s); one snapshot lives for a\n"
         "while in the middle. The map's retention counter (sync_map: stats().versions_retained)\n"
         "and retired-but-not-freed bytes are sampled every millisecond, before, during and\n"
         "after the snapshot's life.",
         true, run_snapshot_memory},
        {"scan-pass", "C2: full passes of scan(cursor, n, f) with pauses, under churn and growth",
         "Writers churn 3/4 of the keys and insert fresh ones (growth; in the second variant\n"
         "writer 0 also clears, the map shrinks and grows again) while one thread makes passes\n"
         "of scan calls with random chunk sizes, bool or void callbacks, and random pauses;\n"
         "3 passes in 10 begin as range(f, stop_token) stopped part-way and resumed by scan.\n"
         "The callback erases and re-inserts keys behind it. C2: each pass meets W1-W4 over\n"
         "[first call start, last call end], with no key yielded twice in the whole pass.\n"
         "Passes pause, so each run of this scenario lasts twice --seconds.",
         false, run_scan_pass},
        {"go-map-iteration", "G1: go_map iterated while the same thread mutates it",
         "Passes over go_map (single-threaded) while the callback inserts (also in bursts that\n"
         "split leaves and double the directory), erases the current entry by key or through\n"
         "the iterator, erases others, assigns (also through the iterator), erases and\n"
         "re-inserts, and sometimes clears. A model checks every step exactly (G1): present\n"
         "throughout -> yielded once; erased, not yet reached -> never; inserted -> at most once;\n"
         "modified -> its latest value. Passes: --traversals (default 300).",
         true, run_go_map_iteration},
    };
    return list;
}

}  // namespace syncmap::lab
