// peers/peers.hpp - the peer maps the lab compares syncmap with, each behind map_adapter.
// Which ones exist depends on the Debian packages found when the lab was configured.
#pragma once

#include <vector>

#include "../lab/core/adapter.hpp"

namespace syncmap::lab::peers {

// Every peer compiled in, in the order the lab reports them.
std::vector<adapter_entry> installed();

adapter_entry shared_mutex_entry();
// The peers in other runtimes (Go, Java): always listed, "not installed" if missing.
std::vector<adapter_entry> out_of_process_entries();
// The Redis peers (peers/redis_map.cpp): always listed, "not installed" if missing.
std::vector<adapter_entry> redis_entries();
// The etcd peer (peers/etcd_map.cpp): always listed, "not installed" if missing.
std::vector<adapter_entry> etcd_entries();
#ifdef SYNCMAP_LAB_HAVE_TBB
adapter_entry tbb_unordered_entry();
adapter_entry tbb_hash_map_entry();
#endif
#ifdef SYNCMAP_LAB_HAVE_CUCKOO
adapter_entry cuckoo_entry();
#endif
#ifdef SYNCMAP_LAB_HAVE_LFHT
adapter_entry lfht_entry();
#endif

}  // namespace syncmap::lab::peers
