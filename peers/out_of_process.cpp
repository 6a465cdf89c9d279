// The peers that run in their own runtime: Go (peers/go, one program built with the Go
// toolchain of golang-1.19-go) and Java (peers/java, compiled with javac). Each is an
// out_of_process_peer (lab/scenarios/out_of_process.hpp): the lab hands the program a
// workload and judges the history it returns. A runtime missing when the lab was
// configured or when it runs is reported as "not installed"; nothing is run for it.
#include "peers.hpp"

#include "../lab/scenarios/out_of_process.hpp"

namespace syncmap::lab::peers {

namespace {

capabilities with_ops(std::initializer_list<op_kind> ops) {
    capabilities c;
    for (op_kind k : ops) c.ops[static_cast<std::size_t>(k)] = true;
    c.range = true;
    return c;
}

capabilities every_op() {
    return with_ops({op_kind::load, op_kind::contains, op_kind::store, op_kind::load_or_store, op_kind::load_and_delete,
                     op_kind::erase, op_kind::exchange, op_kind::compare_and_swap, op_kind::compare_and_delete});
}

std::array<promise, clause_count> promising(std::initializer_list<clause> promised, std::initializer_list<clause> measured) {
    std::array<promise, clause_count> p;
    p.fill(promise::not_supported);
    for (clause c : measured) p[static_cast<std::size_t>(c)] = promise::not_promised;
    for (clause c : promised) p[static_cast<std::size_t>(c)] = promise::promised;
    return p;
}

#ifdef SYNCMAP_LAB_GO_PEER
std::vector<std::string> go_command() { return {SYNCMAP_LAB_GO_PEER}; }
const char* go_missing = "";
#else
std::vector<std::string> go_command() { return {"syncmap-go-peer"}; }
const char* go_missing = "not installed: no Go toolchain when the lab was configured (golang-1.19-go)";
#endif

#if defined(SYNCMAP_LAB_JAVA) && defined(SYNCMAP_LAB_JAVA_CLASSES)
std::vector<std::string> java_command() {
    // A small fixed heap and no JIT tiers beyond C1 keep the JVM's start-up and footprint
    // small next to the lab; the maps' behaviour does not depend on either.
    return {SYNCMAP_LAB_JAVA, "-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
            SYNCMAP_LAB_JAVA_CLASSES, "SyncmapJavaPeer"};
}
const char* java_missing = "";
#else
std::vector<std::string> java_command() { return {"java"}; }
const char* java_missing = "not installed: no JDK when the lab was configured (openjdk-17-jdk-headless)";
#endif

}  // namespace

std::vector<adapter_entry> out_of_process_entries() {
    using c = clause;
    std::vector<adapter_entry> out;
    {
        out_of_process_peer p;
        p.command = go_command();
        p.map = "go_sync_map";
        p.missing = go_missing;
        // Go 1.19's sync.Map: Delete reports nothing, and Swap / CompareAndSwap /
        // CompareAndDelete came in Go 1.20.
        p.caps = with_ops({op_kind::load, op_kind::contains, op_kind::store, op_kind::load_or_store, op_kind::load_and_delete});
        // Range: "no key will be visited more than once, but if the value for any key is
        // stored or deleted concurrently, Range may reflect any mapping for that key from
        // any point during the Range call".
        p.promises = promising({c::L1, c::W1, c::W2, c::W3, c::W4}, {});
        out.push_back(out_of_process_entry("go_sync_map", "Go 1.19 sync.Map, out of process (peers/go)", std::move(p)));
    }
    {
        out_of_process_peer p;
        p.command = go_command();
        p.map = "go_map_rwmutex";
        p.missing = go_missing;
        p.caps = every_op();
        p.caps.range_blocks_writers = true;
        p.promises = promising({c::L1, c::W1, c::W2, c::W3, c::W4}, {});
        out.push_back(out_of_process_entry("go_map_rwmutex", "Go map + sync.RWMutex, range under RLock (peers/go)",
                                           std::move(p)));
    }
    {
        out_of_process_peer p;
        p.command = go_command();
        p.map = "go_map";
        p.missing = go_missing;
        p.caps.concurrent = false;
        p.caps.mutating_iteration = true;
        p.iteration = true;
        // The Go spec: entries removed before being reached are not produced, entries
        // created may or may not be; each entry at most once.
        p.promises = promising({c::G1}, {});
        out.push_back(out_of_process_entry("go_builtin_map", "Go's built-in map, one goroutine iterating and mutating (peers/go)",
                                           std::move(p)));
    }
    for (const char* name : {"java_chm", "java_skiplist"}) {
        out_of_process_peer p;
        p.command = java_command();
        p.map = name;
        p.missing = java_missing;
        p.caps = every_op();
        // java.util.concurrent: iterators are weakly consistent, "guaranteed to traverse
        // elements as they existed upon construction exactly once, and may (but are not
        // guaranteed to) reflect any modifications subsequent to construction". Exactly
        // once is stated for those elements only: W2 is measured, not promised.
        p.promises = promising({c::L1, c::W1, c::W3, c::W4}, {c::W2});
        out.push_back(out_of_process_entry(name,
                                           std::string(name) == "java_chm"
                                               ? "Java 17 ConcurrentHashMap, out of process (peers/java)"
                                               : "Java 17 ConcurrentSkipListMap, out of process (peers/java)",
                                           std::move(p)));
    }
    return out;
}

}  // namespace syncmap::lab::peers
