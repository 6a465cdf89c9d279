// Go's sync.Map algorithm, step by step: syncmap::read_dirty_map (clauses RD1, RD2).
//
// Keys stored before the last promotion live in the read view, which loads read without a
// lock. A new key goes to the dirty map (under the mutex) and marks the read view
// "amended"; each load of a key missing from the read view takes the mutex and counts a
// miss, and once the misses reach the dirty map's size, the dirty map is promoted to be
// the new read view. debug_state() shows each step.
#include <syncmap/read_dirty_map.hpp>

#include <cstdio>

using map_type = syncmap::read_dirty_map<int, int>;

void show(const char* what, const map_type& m) {
    const auto s = m.debug_state();
    std::printf("%-36s read view %3zu entries, amended %-5s dirty %3zu entries, misses %3zu, promotions %llu\n",
                what, s.read_entries, s.amended ? "yes," : "no,", s.dirty_entries, s.misses,
                static_cast<unsigned long long>(s.promotions));
}

int main() {
    map_type m;
    for (int k = 0; k < 100; ++k) m.store(k, k);
    show("after storing keys 0..99:", m);

    // Each load of a key only dirty holds is a miss; the 100th promotes dirty.
    for (int i = 0; i < 99; ++i) (void)m.load(i);
    show("after 99 loads:", m);
    (void)m.load(99);
    show("after the 100th load:", m);
    const bool promoted = m.debug_state().promotions == 1 && !m.debug_state().amended;

    // Now loads hit the read view: no lock, no miss counted.
    for (int i = 0; i < 1000; ++i) (void)m.load(i % 100);
    show("after 1000 loads of those keys:", m);
    const bool no_misses = m.debug_state().misses == 0;

    // The first new key copies the read view into a fresh dirty map.
    m.store(1000, 1000);
    show("after storing a new key:", m);
    const bool amended = m.debug_state().amended && m.debug_state().dirty_entries == 101;

    std::printf("promoted after as many misses as dirty entries: %s; read-view loads miss nothing: %s; "
                "a new key amends: %s\n",
                promoted ? "yes" : "NO", no_misses ? "yes" : "NO", amended ? "yes" : "NO");
    return promoted && no_misses && amended ? 0 : 1;
}
