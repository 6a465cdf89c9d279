// lab/core/adapter.hpp - the one interface every map under test is driven through.
//
// The lab drives syncmap's containers and the peer maps with the same workloads and checks
// them with the same checkers, so every map sits behind `map_adapter`: point operations on
// 64-bit keys and values, a traversal with the map's real semantics, and optional
// capabilities. An adapter never fakes a capability: an operation the map cannot perform
// atomically is absent from `capabilities::ops`, and the workloads never call it.
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

// The contract clauses the lab measures (see docs/LAB.md and CONTRACTS.md).
enum class clause : std::uint8_t { L1, W1, W2, W3, W4, S1, C2, G1 };
inline constexpr std::size_t clause_count = 8;
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
    bool snapshot = false;                  // snapshot() (clause S1); no adapter has it yet
    bool scan = false;                      // cursor scan (clause C2); no adapter has it yet

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

// How the lab finds a map: its name, what it is, and a factory for fresh instances.
struct adapter_entry {
    std::string name;
    std::string origin;       // "syncmap" (its promises decide the exit status) or "peer"
    std::string description;  // one line for --help and the report
    std::function<std::unique_ptr<map_adapter>()> make;
};

}  // namespace syncmap::lab
