#include "traversal_checker.hpp"

#include <sstream>
#include <unordered_map>

namespace syncmap::lab {

void check_traversal(const traversal_record& t, const write_index& index, traversal_report& out) {
    std::unordered_map<key_type, unsigned> yielded;
    yielded.reserve(t.items.size() * 2);
    for (const auto& [k, v] : t.items) ++yielded[k];

    std::uint64_t twice = 0, phantom = 0, bad_values = 0, missed = 0, present = 0;
    for (const auto& [k, n] : yielded) {
        if (n > 1) {
            if (++twice == 1) {
                std::ostringstream s;
                s << "key " << k << " yielded " << n << " times by one traversal of " << t.items.size() << " items";
                out.w2.example(s.str());
            }
        }
        if (index.absent_throughout(k, t.start, t.end)) {
            if (++phantom == 1) {
                std::ostringstream s;
                s << "key " << k << " yielded although absent throughout the traversal";
                out.w3.example(s.str());
            }
        }
    }
    for (const auto& [k, v] : t.items) {
        std::string why = index.value_impossible(k, v, t.start, t.end);
        if (!why.empty() && ++bad_values == 1) out.w4.example(std::move(why));
    }
    if (!t.stopped_early) {
        index.for_each_present_throughout(t.start, t.end, [&](key_type k) {
            ++present;
            if (yielded.find(k) == yielded.end() && ++missed == 1) {
                std::ostringstream s;
                s << "key " << k << " present throughout a traversal of " << t.items.size() << " items ("
                  << (t.end - t.start) << " ns) was not yielded";
                out.w1.example(s.str());
            }
        });
        ++out.w1.checks;
        out.w1.item_checks += present;
        out.w1.item_violations += missed;
        out.w1.violations += missed != 0;
    }
    ++out.w2.checks;
    out.w2.item_checks += yielded.size();
    out.w2.item_violations += twice;
    out.w2.violations += twice != 0;
    ++out.w3.checks;
    out.w3.item_checks += yielded.size();
    out.w3.item_violations += phantom;
    out.w3.violations += phantom != 0;
    ++out.w4.checks;
    out.w4.item_checks += t.items.size();
    out.w4.item_violations += bad_values;
    out.w4.violations += bad_values != 0;
}

traversal_report check_traversals(const history& h, timestamp skew) {
    traversal_report out;
    if (h.traversals.empty()) return out;
    const write_index index(h.ops, skew);
    for (const auto& t : h.traversals) check_traversal(t, index, out);
    return out;
}

}  // namespace syncmap::lab
