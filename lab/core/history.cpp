#include "history.hpp"

#include <iterator>

namespace syncmap::lab {

std::string_view to_string(op_kind k) noexcept {
    switch (k) {
        case op_kind::load: return "load";
        case op_kind::contains: return "contains";
        case op_kind::store: return "store";
        case op_kind::load_or_store: return "load_or_store";
        case op_kind::load_and_delete: return "load_and_delete";
        case op_kind::erase: return "erase";
        case op_kind::exchange: return "exchange";
        case op_kind::compare_and_swap: return "compare_and_swap";
        case op_kind::compare_and_delete: return "compare_and_delete";
    }
    return "?";
}

std::string_view to_string(clause c) noexcept {
    switch (c) {
        case clause::L1: return "L1";
        case clause::W1: return "W1";
        case clause::W2: return "W2";
        case clause::W3: return "W3";
        case clause::W4: return "W4";
        case clause::S1: return "S1";
        case clause::S2: return "S2";
        case clause::C2: return "C2";
        case clause::C4: return "C4";
        case clause::G1: return "G1";
    }
    return "?";
}

write_effect effect_of(const op_record& op) noexcept {
    switch (op.kind) {
        case op_kind::store:
        case op_kind::exchange: return write_effect::set;
        case op_kind::load_or_store: return op.flag ? write_effect::none : write_effect::set;
        case op_kind::compare_and_swap: return op.flag ? write_effect::set : write_effect::none;
        case op_kind::load_and_delete:
        case op_kind::erase:
        case op_kind::compare_and_delete: return op.flag ? write_effect::erase : write_effect::none;
        case op_kind::load:
        case op_kind::contains: return write_effect::none;
    }
    return write_effect::none;
}

void history::append(thread_log&& log) {
    ops.insert(ops.end(), std::make_move_iterator(log.ops.begin()), std::make_move_iterator(log.ops.end()));
    traversals.insert(traversals.end(), std::make_move_iterator(log.traversals.begin()),
                      std::make_move_iterator(log.traversals.end()));
    clears.insert(clears.end(), log.clears.begin(), log.clears.end());
    log.ops.clear();
    log.traversals.clear();
    log.clears.clear();
}

void thread_recorder::seen(key_type k, value_type v) { last_seen_[k] = v; }

value_type thread_recorder::last_seen(key_type k) const {
    auto it = last_seen_.find(k);
    return it == last_seen_.end() ? 0 : it->second;
}

// Each member below follows the same pattern: fill the record's arguments, read the clock,
// call the map, read the clock, then store the result. Nothing but the call itself lies
// between the two clock reads.

std::optional<value_type> thread_recorder::load(key_type k) {
    op_record r{.key = k, .kind = op_kind::load, .thread = thread_};
    r.invoke = now();
    auto v = map_.load(k);
    r.response = now();
    r.result = v.value_or(0);
    r.flag = v.has_value();
    log_.ops.push_back(r);
    if (v) seen(k, *v);
    return v;
}

bool thread_recorder::contains(key_type k) {
    op_record r{.key = k, .kind = op_kind::contains, .thread = thread_};
    r.invoke = now();
    const bool found = map_.contains(k);
    r.response = now();
    r.flag = found;
    log_.ops.push_back(r);
    return found;
}

value_type thread_recorder::store(key_type k) {
    op_record r{.key = k, .arg = fresh_value(), .kind = op_kind::store, .thread = thread_};
    r.invoke = now();
    map_.store(k, r.arg);
    r.response = now();
    log_.ops.push_back(r);
    seen(k, r.arg);
    return r.arg;
}

std::pair<value_type, bool> thread_recorder::load_or_store(key_type k) {
    op_record r{.key = k, .arg = fresh_value(), .kind = op_kind::load_or_store, .thread = thread_};
    r.invoke = now();
    auto [actual, loaded] = map_.load_or_store(k, r.arg);
    r.response = now();
    r.result = actual;
    r.flag = loaded;
    log_.ops.push_back(r);
    seen(k, actual);
    return {actual, loaded};
}

std::optional<value_type> thread_recorder::load_and_delete(key_type k) {
    op_record r{.key = k, .kind = op_kind::load_and_delete, .thread = thread_};
    r.invoke = now();
    auto v = map_.load_and_delete(k);
    r.response = now();
    r.result = v.value_or(0);
    r.flag = v.has_value();
    log_.ops.push_back(r);
    return v;
}

bool thread_recorder::erase(key_type k) {
    op_record r{.key = k, .kind = op_kind::erase, .thread = thread_};
    r.invoke = now();
    const bool was_there = map_.erase(k);
    r.response = now();
    r.flag = was_there;
    log_.ops.push_back(r);
    return was_there;
}

std::optional<value_type> thread_recorder::exchange(key_type k) {
    op_record r{.key = k, .arg = fresh_value(), .kind = op_kind::exchange, .thread = thread_};
    r.invoke = now();
    auto previous = map_.exchange(k, r.arg);
    r.response = now();
    r.result = previous.value_or(0);
    r.flag = previous.has_value();
    log_.ops.push_back(r);
    seen(k, r.arg);
    return previous;
}

bool thread_recorder::compare_and_swap(key_type k) {
    op_record r{.key = k, .arg = fresh_value(), .expected = last_seen(k), .kind = op_kind::compare_and_swap,
                .thread = thread_};
    if (r.expected == 0) r.expected = r.arg;  // never seen: a value the map cannot hold yet
    r.invoke = now();
    const bool swapped = map_.compare_and_swap(k, r.expected, r.arg);
    r.response = now();
    r.flag = swapped;
    log_.ops.push_back(r);
    if (swapped) seen(k, r.arg);
    return swapped;
}

bool thread_recorder::compare_and_delete(key_type k) {
    op_record r{.key = k, .expected = last_seen(k), .kind = op_kind::compare_and_delete, .thread = thread_};
    if (r.expected == 0) r.expected = fresh_value();  // never seen: cannot match
    r.invoke = now();
    const bool deleted = map_.compare_and_delete(k, r.expected);
    r.response = now();
    r.flag = deleted;
    log_.ops.push_back(r);
    return deleted;
}

void thread_recorder::clear() {
    clear_record r{.thread = thread_};
    r.invoke = now();
    map_.clear();
    r.response = now();
    log_.clears.push_back(r);
    last_seen_.clear();
}

void thread_recorder::execute(op_kind kind, key_type k) {
    switch (kind) {
        case op_kind::load: load(k); break;
        case op_kind::contains: contains(k); break;
        case op_kind::store: store(k); break;
        case op_kind::load_or_store: load_or_store(k); break;
        case op_kind::load_and_delete: load_and_delete(k); break;
        case op_kind::erase: erase(k); break;
        case op_kind::exchange: exchange(k); break;
        case op_kind::compare_and_swap: compare_and_swap(k); break;
        case op_kind::compare_and_delete: compare_and_delete(k); break;
    }
}

}  // namespace syncmap::lab
