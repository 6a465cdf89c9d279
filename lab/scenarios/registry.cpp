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
         "ranges that missed a stable key directly.",
         false, run_churn_during_range},
        {"two-ranges", "pitfall 4: two traversals at once",
         "Two threads range continuously under writes; each traversal is checked (W1-W4) and\n"
         "the Spearman rank correlation of every overlapping pair's orders is reported.",
         false, run_two_ranges},
        {"growth-during-range", "pitfall 5: growth during traversal",
         "Start with 16 keys, insert 32768 more (or --keys) while a thread ranges, on fresh\n"
         "maps until the run's time is spent. The 16 first keys are present throughout.",
         false, run_growth_during_range},
        {"retired-memory", "pitfall 6: memory retired but not reclaimed during a long range",
         "One writer overwrites keys at full speed; one range lasting about a second runs in\n"
         "the middle, then a busy-wait as long outside any traversal (the control: same CPU\n"
         "load, nothing pinned); retired-but-not-freed bytes are sampled every 2 ms (maps\n"
         "with deferred reclamation only). Chunked scans will be compared here once the lab\n"
         "drives scan.",
         true, run_retired_memory},
    };
    return list;
}

}  // namespace syncmap::lab
