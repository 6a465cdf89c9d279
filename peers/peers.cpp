#include "peers.hpp"

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
    return out;
}

}  // namespace syncmap::lab::peers
