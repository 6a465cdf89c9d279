// lab/core/adapter.hpp - the one interface every map under test is driven through.
//
// The lab drives syncmap's containers and the peer maps with the same workloads and checks
// them with the same checkers, so every map sits behind `map_adapter`: point operations on
// 64-bit keys and values, a traversal with the map's real semantics, and optional
// capabilities (clear, snapshots, cursor scans, iteration with mutation, counters). An
// adapter never fakes a capability: an operation the map cannot perform atomically is
// absent from `capabilities::ops`, a mode it lacks is false in `capabilities`, and the
// workloads never call it.
//
// Keys and values are std::uint64_t. Value 0 is reserved for "no value": the history
// recorder never writes it, so a 0 in a record always means absence.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace syncmap::lab {

using key_type = std::uint64_t;
using value_type = std::uint64_t;

// Point operations, named after sync_map's members (Go's sync.Map in brackets).
enum class op_kind : std::uint8_t {
    load,                // [Load] optional<V>
    contains,            // bool
    store,               // [Store]
    load_or_store,       // [LoadOrStore] (actual, loaded)
    load_and_delete,     // [LoadAndDelete] optional<V>
    erase,               // [Delete] bool: was there
    exchange,            // [Swap] optional<V>: previous
    compare_and_swap,    // [CompareAndSwap] bool
    compare_and_delete,  // [CompareAndDelete] bool
};
inline constexpr std::size_t op_kind_count = 9;
std::string_view to_string(op_kind k) noexcept;

// The contract clauses the lab measures (see docs/LAB.md and docs/GUARANTEES.md).
enum class clause : std::uint8_t { L1, W1, W2, W3, W4, S1, S2, C2, C4, G1 };
inline constexpr std::size_t clause_count = 10;
std::string_view to_string(clause c) noexcept;

// What a map says about a clause. `promised`: its documentation (or, for the lock-based
// peers, its locking) guarantees it; a violation is a bug. `not_promised`: the lab
// measures it, for comparison only. `not_supported`: the map cannot even be asked (no
// such mode, or asking would be undefined behaviour).
enum class promise : std::uint8_t { promised, not_promised, not_supported };

struct capabilities {
    std::array<bool, op_kind_count> ops{};  // ops[op_kind] = the map performs it atomically
    bool concurrent = true;                 // false: single-threaded map (go_map)
    bool range = false;                     // range() may run concurrently with the ops above
    bool range_reentrant = false;           // range's callback may call the map (W5)
    bool range_blocks_writers = false;      // range holds a lock writers wait for
    bool range_stops_early = false;         // callback returning false ends the traversal
    bool pending_bytes = false;             // pending_bytes() reports retired-not-freed memory
    bool clear = false;                     // clear() may run concurrently with the ops above
    bool snapshot = false;                  // snapshot() (clauses S1, S2)
    bool snapshot_scan = false;             // snapshot_view::scan (clause C4)
    bool scan = false;                      // scan() and range_until_stopped() (clause C2)
    bool mutating_iteration = false;        // iterate() with mutation from the callback (G1)
    bool counters = false;                  // counters() reports structure and retention
    bool hold_writers = false;              // hold_writers_of() stalls other writers (snapshot-race)

    [[nodiscard]] bool has(op_kind k) const noexcept { return ops[static_cast<std::size_t>(k)]; }
    [[nodiscard]] bool can_delete() const noexcept {
        return has(op_kind::erase) || has(op_kind::load_and_delete);
    }
};

// A non-owning callable reference: the range callback type. Cheaper than std::function
// on the traversal's hot path and never allocates.
template <class Sig>
class function_ref;

template <class R, class... A>
class function_ref<R(A...)> {
public:
    template <class F>
        requires(!std::is_same_v<std::remove_cvref_t<F>, function_ref> &&
                 std::is_invocable_r_v<R, F&, A...>)
    function_ref(F&& f) noexcept  // NOLINT: implicit by design, like std::function_ref
        : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
          call_([](void* o, A... a) -> R {
              return std::invoke(*static_cast<std::remove_reference_t<F>*>(o), std::forward<A>(a)...);
          }) {}

    R operator()(A... a) const { return call_(object_, std::forward<A>(a)...); }

private:
    void* object_;
    R (*call_)(void*, A...);
};

// (key, value) -> true to continue, false to stop.
using range_callback = function_ref<bool(key_type, value_type)>;

// Where a chunked pass (scan, clause C2) stands: the container's own cursor, carried as
// opaque bytes so that the lab's core needs no container header. A default-constructed
// value starts a pass.
struct scan_cursor {
    std::array<unsigned char, 24> bytes{};  // the container's trivially copyable cursor
    bool started = false;                   // false: start a pass (bytes unused)
    bool done = false;                      // the pass is complete
};

// What a go_map-style iteration callback asks the adapter to do with the current entry
// after it returns (clause G1). The callback may also call any member of the adapter,
// from the same thread; it must not ask for assign_current or erase_current if it erased
// the current key itself.
struct iteration_step {
    enum class then_do : std::uint8_t { next, erase_current, stop };
    then_do then = then_do::next;   // erase_current: erase through the iterator, which moves on
    value_type assign_current = 0;  // nonzero: first assign this value through the iterator
};
using iteration_callback = function_ref<iteration_step(key_type, value_type)>;

// Counters a map keeps about itself (caps().counters), read with relaxed loads.
// A field the map cannot tell is empty.
struct map_counters {
    std::optional<std::uint64_t> structural_changes;  // leaf splits, rebuilds, directory growths, clears
    std::optional<std::int64_t> retained;             // what live snapshots keep alive, in retained_unit
    std::string_view retained_unit;                   // e.g. "superseded nodes and tombstones"
};

// A point-in-time view returned by map_adapter::snapshot() (clauses S1, S2, C4). It must
// be destroyed before the adapter that made it. Every member may run while other threads
// use the map.
class snapshot_view {
public:
    virtual ~snapshot_view() = default;
    [[nodiscard]] virtual std::optional<value_type> load(key_type k) const = 0;
    [[nodiscard]] virtual bool contains(key_type k) const = 0;
    [[nodiscard]] virtual std::size_t size() const = 0;
    // With the view's iterators (begin() .. end()).
    virtual void iterate(range_callback f) const = 0;
    // With the view's range(); f returning false stops it.
    virtual void range(range_callback f) const = 0;
    // One chunk of a chunked walk (caps().snapshot_scan): offers at most about `chunk`
    // entries from `from` on. `stoppable`: f's false ends the chunk after that entry; if
    // not, f's result is ignored (the container then takes its cheaper unordered path).
    virtual scan_cursor scan(const scan_cursor& from, std::size_t chunk, range_callback f, bool stoppable) const;
};

class unsupported_operation : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

class map_adapter {
public:
    virtual ~map_adapter() = default;

    [[nodiscard]] virtual std::string name() const = 0;
    [[nodiscard]] virtual capabilities caps() const = 0;
    [[nodiscard]] virtual promise promises(clause c) const = 0;

    virtual std::optional<value_type> load(key_type k) = 0;
    virtual bool contains(key_type k) { return load(k).has_value(); }
    virtual void store(key_type k, value_type v) = 0;
    virtual std::pair<value_type, bool> load_or_store(key_type, value_type) { throw_unsupported("load_or_store"); }
    virtual std::optional<value_type> load_and_delete(key_type) { throw_unsupported("load_and_delete"); }
    virtual bool erase(key_type) { throw_unsupported("erase"); }
    virtual std::optional<value_type> exchange(key_type, value_type) { throw_unsupported("exchange"); }
    virtual bool compare_and_swap(key_type, value_type, value_type) { throw_unsupported("compare_and_swap"); }
    virtual bool compare_and_delete(key_type, value_type) { throw_unsupported("compare_and_delete"); }
    virtual void range(range_callback) { throw_unsupported("range"); }
    virtual void clear() { throw_unsupported("clear"); }

    // One call of the container's chunked scan (caps().scan; same rules as
    // snapshot_view::scan). A full pass is the calls from a default cursor to a done one.
    virtual scan_cursor scan(const scan_cursor&, std::size_t, range_callback, bool) { throw_unsupported("scan"); }
    // range(f, stop_token): stops before the next callback once `stop` is requested (or
    // after f returns false) and returns the cursor that scan() resumes from (caps().scan).
    virtual scan_cursor range_until_stopped(range_callback, std::stop_token) { throw_unsupported("range(f, stop)"); }
    // A point-in-time view (caps().snapshot).
    virtual std::unique_ptr<snapshot_view> snapshot() { throw_unsupported("snapshot"); }
    // Single-threaded iteration with the map's own iterators, the callback mutating the
    // map meanwhile (caps().mutating_iteration).
    virtual void iterate(iteration_callback) { throw_unsupported("iteration with mutation"); }
    [[nodiscard]] virtual map_counters counters() const { return {}; }
    // Runs `while_held` while the map holds what a write of `k` waits for (sync_map: the
    // key's leaf lock, inside compute(k, f); cow_map: the writers' mutex, inside update),
    // so that writes of nearby keys by other threads stall after they began and before
    // they commit (caps().hold_writers). An absent `k` stays absent and nothing is
    // written; a present one has its value written back.
    virtual void hold_writers_of(key_type, function_ref<void()>) { throw_unsupported("hold_writers_of"); }

    // Bytes retired by writers and not yet freed (caps().pending_bytes only).
    [[nodiscard]] virtual std::int64_t pending_bytes() const { return 0; }
    // A one-line description of the internal layout, for the growth scenario ("" if none).
    [[nodiscard]] virtual std::string structure() const { return {}; }
    // Waits until everything retired so far is freed. Never called concurrently with
    // other members.
    virtual void quiesce() {}

protected:
    [[noreturn]] void throw_unsupported(std::string_view what) const {
        throw unsupported_operation(name() + " does not support " + std::string(what));
    }
};

inline scan_cursor snapshot_view::scan(const scan_cursor&, std::size_t, range_callback, bool) const {
    throw unsupported_operation("this snapshot has no chunked scan");
}

struct out_of_process_peer;  // lab/scenarios/out_of_process.hpp

// How the lab finds a map: its name, what it is, and a factory for fresh instances.
struct adapter_entry {
    std::string name;
    std::string origin;       // "syncmap" (its promises decide the exit status) or "peer"
    std::string description;  // one line for --help and the report
    std::function<std::unique_ptr<map_adapter>()> make;
    // Set for a map that runs in another process: the scenarios then run through
    // run_out_of_process, and make() gives an adapter that only describes the map.
    std::shared_ptr<const out_of_process_peer> external = {};
    // Set for a map kept in a server the lab starts (Redis, etcd): each operation is a
    // round trip, so such a map runs at the fewest and the most thread counts only.
    bool served = false;
};

}  // namespace syncmap::lab
