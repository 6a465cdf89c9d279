#include "peers.hpp"

#include "../lab/scenarios/out_of_process.hpp"
#include "shared_mutex_map.hpp"

namespace syncmap::lab::peers {

adapter_entry shared_mutex_entry() {
    return {"std_shared_mutex", "peer",
            "std::unordered_map + std::shared_mutex; range holds the shared lock (writers wait)",
            [] { return std::make_unique<shared_mutex_map>(); }};
}

std::vector<adapter_entry> installed() {
    std::vector<adapter_entry> out{shared_mutex_entry()};
#ifdef SYNCMAP_LAB_HAVE_TBB
    out.push_back(tbb_unordered_entry());
    out.push_back(tbb_hash_map_entry());
#endif
#ifdef SYNCMAP_LAB_HAVE_CUCKOO
    out.push_back(cuckoo_entry());
#endif
#ifdef SYNCMAP_LAB_HAVE_LFHT
    out.push_back(lfht_entry());
#endif
    for (auto& e : out_of_process_entries()) out.push_back(std::move(e));
    for (auto& e : redis_entries()) out.push_back(std::move(e));
    for (auto& e : etcd_entries()) out.push_back(std::move(e));
    return out;
}

#ifndef SYNCMAP_LAB_HAVE_HIREDIS
std::vector<adapter_entry> redis_entries() {
    std::vector<adapter_entry> out;
    for (const char* name : {"redis_scan", "redis_hscan", "redis_cluster_scan"}) {
        out_of_process_peer missing;
        missing.map = name;
        missing.command = {"redis-server"};
        missing.missing = "not installed: no hiredis when the lab was configured (libhiredis-dev)";
        out.push_back(out_of_process_entry(name, "Redis 7 (not installed)", std::move(missing)));
    }
    return out;
}
#endif

}  // namespace syncmap::lab::peers
