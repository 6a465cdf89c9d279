// Go's map semantics in C++: syncmap::go_map lets the iterating code change the map
// (clause G1), and randomizes iteration order (G2).
//
// The Go loop
//     for k, v := range m { if v%2 == 0 { delete(m, k) } else { m[k+1000000] = v } }
// is undefined behaviour with std::unordered_map (erase invalidates the iterator, an
// insert may rehash). With go_map it is legal: the current entry may be erased, new
// entries inserted (making the map grow), and every entry present throughout the loop is
// yielded exactly once. Inserted entries may or may not be yielded, never twice.
#include <syncmap/go_map.hpp>

#include <cstdio>
#include <map>

int main() {
    constexpr int n = 10'000;
    syncmap::go_map<int, int> m;
    for (int k = 0; k < n; ++k) m[k] = k;

    std::map<int, int> yielded;  // key -> times yielded
    int erased = 0, inserted = 0;
    for (auto it = m.begin(); it != m.end();) {
        const auto [k, v] = *it;
        ++yielded[k];
        if (k < n && v % 2 == 0) {
            it = m.erase(it);  // erase the current entry: the pass goes on
            ++erased;
            continue;
        }
        if (k < n) {
            m[k + 1'000'000] = v;  // insert while iterating; the map grows under the pass
            ++inserted;
        }
        ++it;
    }

    int original_wrong = 0, new_twice = 0, new_seen = 0;
    for (int k = 0; k < n; ++k) original_wrong += yielded[k] != 1;
    for (const auto& [k, times] : yielded)
        if (k >= n) new_seen += 1, new_twice += times > 1;
    std::printf("erased %d and inserted %d entries during one pass; map now %zu entries\n", erased, inserted, m.size());
    std::printf("original keys not yielded exactly once: %d (G1 says 0)\n", original_wrong);
    std::printf("inserted keys yielded: %d of %d (any number may be), twice: %d (G1 says 0)\n", new_seen, inserted,
                new_twice);

    // G2: each pass starts at a random place (on a map this small, a rotation of one order).
    syncmap::go_map<int, int> small;
    for (int k = 0; k < 16; ++k) small[k] = k;
    for (int pass = 0; pass < 3; ++pass) {
        std::printf("pass %d order:", pass);
        for (const auto& [k, v] : small) std::printf(" %d", k);
        std::printf("\n");
    }
    return original_wrong == 0 && new_twice == 0 && m.size() == static_cast<std::size_t>(n) ? 0 : 1;
}
