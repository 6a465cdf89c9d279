// Paginating a live map with a text cursor: sync_map::scan() and cursor::to_string /
// from_string (clauses C1-C5).
//
// page() is what a request handler would do: parse the client's token, return up to
// `page_size` entries and the token of the next page. Nothing is held between pages (C3),
// so the map changes freely between (and during) requests: here other keys are stored and
// erased, and the map grows several times. The pass still offers every key present
// throughout exactly once, and never a key twice (C2).
#include <syncmap/sync_map.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

using map_type = syncmap::sync_map<std::uint64_t, std::uint64_t>;

struct page_result {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> entries;
    std::string next;  // empty when the pass is complete
};

page_result page(const map_type& m, const std::string& token, std::size_t page_size) {
    // An empty token starts a pass; from_string throws syncmap::invalid_cursor for a
    // corrupted token or one of another map (C5).
    const syncmap::cursor from = token.empty() ? syncmap::cursor{} : syncmap::cursor::from_string(token);
    page_result out;
    const syncmap::cursor next =
        m.scan(from, page_size, [&](std::uint64_t k, std::uint64_t v) { out.entries.emplace_back(k, v); });
    if (!next.done()) out.next = next.to_string();
    return out;
}

int main() {
    constexpr std::uint64_t stable = 5000;  // present throughout the pass
    map_type m;
    for (std::uint64_t k = 0; k < stable; ++k) m.store(k, k * 3);

    std::vector<int> seen(stable, 0);
    std::string token;
    int pages = 0;
    std::uint64_t churn = stable;
    do {
        const page_result p = page(m, token, 500);
        if (pages < 3 || p.next.empty())
            std::printf("page %2d: %3zu entries, next token \"%s\"\n", pages, p.entries.size(), p.next.c_str());
        for (const auto& [k, v] : p.entries)
            if (k < stable) ++seen[k];
        token = p.next;
        ++pages;
        // Between requests: other keys come and go, and the map grows.
        for (int i = 0; i < 2000; ++i) m.store(churn++, 0);
        for (std::uint64_t k = churn - 2000; k < churn - 1000; ++k) m.erase(k);
    } while (!token.empty());

    int wrong = 0;
    for (int s : seen) wrong += s != 1;
    std::printf("%d pages; stable keys not seen exactly once: %d (C2 says 0); map now %zu entries\n", pages, wrong,
                m.size());

    // A token that was tampered with is rejected, not silently misread.
    std::string bad = syncmap::cursor{}.to_string();
    bad[20] = bad[20] == '0' ? '1' : '0';
    bool rejected = false;
    try {
        page(m, bad, 500);
    } catch (const syncmap::invalid_cursor& e) {
        rejected = true;
        std::printf("tampered token rejected: %s\n", e.what());
    }
    return wrong == 0 && rejected ? 0 : 1;
}
