// The etcd peer (docs/LAB.md, "Peers and what they promise"): a map kept in a three-member
// etcd 3.4 cluster the lab starts (peers/etcd_cluster.hpp), driven in process through
// etcd's JSON gateway (/v3/kv/range, put, deleterange, txn; keys and values base64), each
// worker thread with its own keep-alive connection to one member (threads spread over the
// members). Every request is one etcd operation, so each is atomic and linearizable
// (etcd's default reads are linearizable).
//
// Keys are "k/" followed by the key's 8 bytes big-endian, so etcd's byte order is the
// keys' numeric order. A range is one range request over every key: the store at one
// revision. A snapshot is a revision: taken by a range at the latest revision, it answers
// load, contains, size, iteration and chunked walks by ranges at that revision. A cursor
// pass is paginated: each call a range with `limit` from the key after the last one seen,
// at the latest revision (scan) or at the snapshot's revision (the snapshot's scan).
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "../lab/scenarios/out_of_process.hpp"
#include "etcd_cluster.hpp"
#include "http_json.hpp"
#include "peers.hpp"

namespace syncmap::lab::peers {

namespace {

std::string key_bytes(key_type k) {
    std::string s = "k/";
    for (int i = 7; i >= 0; --i) s += static_cast<char>((k >> (8 * i)) & 0xff);
    return s;
}
const std::string all_begin = base64_encode("k/");
const std::string all_end = base64_encode("k0");  // '0' follows '/': every "k/..." key

key_type parse_key(const json_value& kv) {
    const std::string b = base64_decode(kv["key"].text);
    if (b.size() != 10 || b[0] != 'k' || b[1] != '/') throw std::runtime_error("etcd: a key the lab did not write");
    key_type k = 0;
    for (int i = 2; i < 10; ++i) k = k << 8 | static_cast<unsigned char>(b[static_cast<std::size_t>(i)]);
    return k;
}
value_type parse_value(const json_value& kv) {
    const std::string b = base64_decode(kv["value"].text);
    value_type v = 0;
    for (char c : b) {
        if (c < '0' || c > '9') throw std::runtime_error("etcd: a value the lab did not write");
        v = v * 10 + static_cast<value_type>(c - '0');
    }
    return v;
}
std::string value_text(value_type v) { return base64_encode(std::to_string(v)); }
std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::atomic<std::uint64_t> next_adapter_id{1};

class etcd_map;

// A revision of the map: the contents a range at that revision returns.
class etcd_snapshot final : public snapshot_view {
public:
    etcd_snapshot(etcd_map& m, std::uint64_t revision) : map_(m), revision_(revision) {}
    std::optional<value_type> load(key_type k) const override;
    bool contains(key_type k) const override { return load(k).has_value(); }
    std::size_t size() const override;
    void iterate(range_callback f) const override;  // pages of 100 at the revision
    void range(range_callback f) const override;    // one range at the revision
    scan_cursor scan(const scan_cursor& from, std::size_t chunk, range_callback f, bool) const override;

private:
    etcd_map& map_;
    std::uint64_t revision_;
};

class etcd_map final : public map_adapter {
public:
    std::string name() const override { return "etcd_range"; }
    capabilities caps() const override {
        capabilities c;
        for (std::size_t i = 0; i < op_kind_count; ++i) c.ops[i] = true;
        c.range = true;
        c.range_reentrant = true;  // a reply is read whole before the callback runs
        c.clear = true;
        c.snapshot = true;
        c.snapshot_scan = true;
        c.scan = true;
        return c;
    }
    promise promises(clause c) const override {
        switch (c) {
            // Every request is linearizable; a range (one request) is the store at one
            // revision, and ranges at a given revision always read that revision (MVCC,
            // nothing is compacted during a run): W1-W4, S1, S2, C4.
            case clause::L1:
            case clause::W1:
            case clause::W2:
            case clause::W3:
            case clause::W4:
            case clause::S1:
            case clause::S2:
            case clause::C4: return promise::promised;
            // Paginating at the latest revision: each page is one revision, pages follow
            // key order; etcd states nothing about such a pass as a whole.
            case clause::C2: return promise::not_promised;
            default: return promise::not_supported;
        }
    }

    std::optional<value_type> load(key_type k) override { return load_at(k, 0); }
    void store(key_type k, value_type v) override {
        call("/v3/kv/put", "{\"key\":" + quoted(base64_encode(key_bytes(k))) + ",\"value\":" + quoted(value_text(v)) + "}");
    }
    std::optional<value_type> exchange(key_type k, value_type v) override {
        const json_value r = call("/v3/kv/put", "{\"key\":" + quoted(base64_encode(key_bytes(k))) + ",\"value\":" +
                                                    quoted(value_text(v)) + ",\"prev_kv\":true}");
        if (r["prev_kv"].t == json_value::type::null) return std::nullopt;
        return parse_value(r["prev_kv"]);
    }
    bool erase(key_type k) override {
        return call("/v3/kv/deleterange", "{\"key\":" + quoted(base64_encode(key_bytes(k))) + "}")["deleted"].as_u64() == 1;
    }
    std::optional<value_type> load_and_delete(key_type k) override {
        const json_value r = call("/v3/kv/deleterange", "{\"key\":" + quoted(base64_encode(key_bytes(k))) + ",\"prev_kv\":true}");
        if (r["prev_kvs"].items.empty()) return std::nullopt;
        return parse_value(r["prev_kvs"].items.front());
    }
    std::pair<value_type, bool> load_or_store(key_type k, value_type v) override {
        const std::string key = quoted(base64_encode(key_bytes(k)));
        const json_value r = call(
            "/v3/kv/txn", "{\"compare\":[{\"target\":\"CREATE\",\"key\":" + key +
                              ",\"create_revision\":\"0\",\"result\":\"EQUAL\"}],\"success\":[{\"request_put\":{\"key\":" + key +
                              ",\"value\":" + quoted(value_text(v)) + "}}],\"failure\":[{\"request_range\":{\"key\":" + key + "}}]}");
        if (r["succeeded"].b) return {v, false};
        const json_value& kvs = r["responses"].items.at(0)["response_range"]["kvs"];
        if (kvs.items.empty()) throw std::runtime_error("etcd: load_or_store found neither absence nor a value");
        return {parse_value(kvs.items.front()), true};
    }
    bool compare_and_swap(key_type k, value_type old_v, value_type new_v) override {
        const std::string key = quoted(base64_encode(key_bytes(k)));
        return call("/v3/kv/txn", "{\"compare\":[{\"target\":\"VALUE\",\"key\":" + key + ",\"value\":" + quoted(value_text(old_v)) +
                                      ",\"result\":\"EQUAL\"}],\"success\":[{\"request_put\":{\"key\":" + key +
                                      ",\"value\":" + quoted(value_text(new_v)) + "}}]}")["succeeded"]
            .b;
    }
    bool compare_and_delete(key_type k, value_type old_v) override {
        const std::string key = quoted(base64_encode(key_bytes(k)));
        return call("/v3/kv/txn", "{\"compare\":[{\"target\":\"VALUE\",\"key\":" + key + ",\"value\":" + quoted(value_text(old_v)) +
                                      ",\"result\":\"EQUAL\"}],\"success\":[{\"request_delete_range\":{\"key\":" + key + "}}]}")["succeeded"]
            .b;
    }
    void clear() override {
        call("/v3/kv/deleterange", "{\"key\":" + quoted(all_begin) + ",\"range_end\":" + quoted(all_end) + "}");
    }

    void range(range_callback f) override { range_at(0, f); }
    scan_cursor scan(const scan_cursor& from, std::size_t chunk, range_callback f, bool) override {
        return page(from, chunk, 0, f);
    }
    scan_cursor range_until_stopped(range_callback f, std::stop_token stop) override {
        // Pages of 64; the callback's false or the stop ends the pass after the page.
        bool go_on = true;
        scan_cursor c;
        while (!c.done && go_on && !stop.stop_requested())
            c = page(c, 64, 0, [&](key_type k, value_type v) {
                go_on = f(k, v) && go_on;
                return true;
            });
        return c;
    }
    std::unique_ptr<snapshot_view> snapshot() override {
        // The latest revision, read by a linearizable request (count only).
        const json_value r = call("/v3/kv/range", "{\"key\":" + quoted(all_begin) + ",\"range_end\":" + quoted(all_end) +
                                                      ",\"count_only\":true}");
        return std::make_unique<etcd_snapshot>(*this, r["header"]["revision"].as_u64());
    }

    // Shared with etcd_snapshot: revision 0 is the latest.
    std::optional<value_type> load_at(key_type k, std::uint64_t revision) {
        const json_value r = call("/v3/kv/range", "{\"key\":" + quoted(base64_encode(key_bytes(k))) + revision_field(revision) + "}");
        if (r["kvs"].items.empty()) return std::nullopt;
        return parse_value(r["kvs"].items.front());
    }
    std::size_t count_at(std::uint64_t revision) {
        return call("/v3/kv/range", "{\"key\":" + quoted(all_begin) + ",\"range_end\":" + quoted(all_end) + ",\"count_only\":true" +
                                        revision_field(revision) + "}")["count"]
            .as_u64();
    }
    void range_at(std::uint64_t revision, range_callback f) {
        const json_value r =
            call("/v3/kv/range", "{\"key\":" + quoted(all_begin) + ",\"range_end\":" + quoted(all_end) + revision_field(revision) + "}");
        for (const json_value& kv : r["kvs"].items) f(parse_key(kv), parse_value(kv));
    }
    // One page: up to `limit` keys from the cursor's key on. Cursor bytes: the next key
    // (8 bytes); a page that says "more": false ends the pass.
    scan_cursor page(const scan_cursor& from, std::size_t limit, std::uint64_t revision, range_callback f) {
        key_type next = 0;
        if (from.started) std::memcpy(&next, from.bytes.data(), sizeof next);
        const json_value r = call("/v3/kv/range", "{\"key\":" + quoted(base64_encode(key_bytes(next))) + ",\"range_end\":" +
                                                      quoted(all_end) + ",\"limit\":" + std::to_string(std::max<std::size_t>(limit, 1)) +
                                                      revision_field(revision) + "}");
        key_type last = next;
        bool any = false;
        for (const json_value& kv : r["kvs"].items) {
            last = parse_key(kv);
            any = true;
            f(last, parse_value(kv));
        }
        scan_cursor out;
        out.started = true;
        out.done = !r["more"].b || !any;
        next = last + 1;
        std::memcpy(out.bytes.data(), &next, sizeof next);
        return out;
    }

private:
    static std::string revision_field(std::uint64_t revision) {
        return revision ? ",\"revision\":\"" + std::to_string(revision) + "\"" : std::string();
    }

    json_value call(const std::string& path, const std::string& body) { return parse_json(connection().post(path, body)); }

    // This thread's connection, to member (thread number mod 3); the map's keys are
    // deleted once, on first use (a fresh map per run).
    http_connection& connection() {
        std::call_once(setup_once_, [this] {
            cluster_ = &etcd_cluster::shared();
            http_connection c("127.0.0.1", cluster_->client_ports().front());
            c.post("/v3/kv/deleterange", "{\"key\":" + quoted(all_begin) + ",\"range_end\":" + quoted(all_end) + "}");
        });
        thread_local std::uint64_t cached_id = 0;
        thread_local http_connection* cached = nullptr;
        if (cached_id != id_) {
            std::lock_guard lock(connections_mutex_);
            auto& slot = connections_[std::this_thread::get_id()];
            if (!slot) {
                const auto& ports = cluster_->client_ports();
                slot = std::make_unique<http_connection>("127.0.0.1", ports[connections_.size() % ports.size()]);
            }
            cached = slot.get();
            cached_id = id_;
        }
        return *cached;
    }

    const std::uint64_t id_ = next_adapter_id.fetch_add(1, std::memory_order_relaxed);
    std::once_flag setup_once_;
    etcd_cluster* cluster_ = nullptr;
    std::mutex connections_mutex_;
    std::unordered_map<std::thread::id, std::unique_ptr<http_connection>> connections_;
};

std::optional<value_type> etcd_snapshot::load(key_type k) const { return map_.load_at(k, revision_); }
std::size_t etcd_snapshot::size() const { return map_.count_at(revision_); }
void etcd_snapshot::range(range_callback f) const { map_.range_at(revision_, f); }
void etcd_snapshot::iterate(range_callback f) const {
    scan_cursor c;
    while (!c.done) c = map_.page(c, 100, revision_, f);
}
scan_cursor etcd_snapshot::scan(const scan_cursor& from, std::size_t chunk, range_callback f, bool) const {
    return map_.page(from, chunk, revision_, f);
}

}  // namespace

std::vector<adapter_entry> etcd_entries() {
    const char* description = "etcd 3.4, 3 members on loopback, JSON gateway; range at one revision, paginated passes";
    if (!etcd_installed()) {
        out_of_process_peer missing;
        missing.map = "etcd_range";
        missing.command = {"etcd"};
        missing.missing = "not installed: etcd (etcd-server) is missing";
        return {out_of_process_entry("etcd_range", description, std::move(missing))};
    }
    adapter_entry e{"etcd_range", "peer", description, [] { return std::make_unique<etcd_map>(); }};
    e.served = true;
    return {e};
}

}  // namespace syncmap::lab::peers
