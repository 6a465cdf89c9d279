#include "window_checker.hpp"

#include <type_traits>
#include <vector>

// The project's history checker, used read-only (header-only, standard library only).
#include "../../tests/history_checkers.hpp"

namespace syncmap::lab {

namespace hc = syncmap_test::history;

static_assert(std::is_same_v<hc::timestamp, timestamp> && std::is_same_v<hc::key_type, key_type> &&
                  std::is_same_v<hc::value_type, value_type>,
              "the lab and the history checker must share timestamps, keys and values");

namespace {

std::vector<hc::write_record> writes_of(const history& h) {
    std::vector<hc::write_record> out;
    out.reserve(h.ops.size() + h.clears.size());
    for (const op_record& op : h.ops) {
        switch (effect_of(op)) {
            case write_effect::none: break;
            case write_effect::set:
                // Every set writes op.arg: store and exchange always, load_or_store and
                // compare_and_swap only when they stored (then arg is what they wrote).
                out.push_back({op.invoke, op.response, hc::write_kind::set, op.key, op.arg});
                break;
            case write_effect::erase:
                out.push_back({op.invoke, op.response, hc::write_kind::erase, op.key, 0});
                break;
        }
    }
    for (const clear_record& c : h.clears) out.push_back({c.invoke, c.response, hc::write_kind::clear, 0, 0});
    return out;
}

hc::observation observation_of(const traversal_record& t) { return {t.start, t.end, t.items}; }

}  // namespace

struct window_checker::impl {
    hc::write_history writes;
};

window_checker::window_checker(const history& h, timestamp skew)
    : impl_(std::make_unique<impl>(impl{hc::write_history(writes_of(h), skew)})) {}

window_checker::~window_checker() = default;

void window_checker::check_snapshot(const traversal_record& snap, clause_tally& s1) const {
    const hc::snapshot_verdict v = impl_->writes.check_snapshot(observation_of(snap));
    ++s1.checks;
    s1.item_checks += snap.items.size();
    if (v.explained) return;
    ++s1.violations;
    ++s1.item_violations;
    s1.example("snapshot of " + std::to_string(snap.items.size()) + " entries taken in " +
               std::to_string(snap.end - snap.start) + " ns by thread " + std::to_string(snap.thread) +
               ": no instant of the call explains it: " + v.reason);
}

void window_checker::check_pass(const traversal_record& pass, clause_tally& c2, std::string_view context) const {
    const hc::pass_verdict v = impl_->writes.check_pass(observation_of(pass));
    ++c2.checks;
    c2.item_checks += v.keys_checked + v.yielded;
    const std::size_t bad = v.missed + v.repeated + v.phantom + v.illegal;
    c2.item_violations += bad;
    if (bad == 0) return;
    ++c2.violations;
    std::string text(context);
    if (!text.empty()) text += ": ";
    text += "pass of " + std::to_string(pass.items.size()) + " items over " + std::to_string(pass.end - pass.start) +
            " ns (W1 missed " + std::to_string(v.missed) + ", W2 repeated " + std::to_string(v.repeated) +
            ", W3 phantom " + std::to_string(v.phantom) + ", W4 illegal " + std::to_string(v.illegal) + ")";
    if (!v.problems.empty()) text += "; first: " + v.problems.front();
    c2.example(std::move(text));
}

}  // namespace syncmap::lab
