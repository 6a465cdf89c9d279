// The Redis peers (docs/LAB.md, "Peers and what they promise"): a map kept in a Redis 7
// server the lab starts (peers/redis_server.hpp), driven in process through hiredis with
// one connection per thread (and, for the cluster, per node and thread).
//
//   redis_scan          keys "k<key>" in one standalone server; range = a full SCAN pass
//   redis_hscan         fields "<key>" of one hash "h"; range = a full HSCAN pass
//   redis_cluster_scan  keys "k<key>" in a Redis Cluster of three masters, each key sent to
//                       the master of its CRC16 slot; range = a SCAN pass on each master
//                       in turn, as cluster clients iterate
//
// Every point operation is one command or one Lua script, so each is atomic (Redis runs
// one command or script at a time). A SCAN reply carries keys only: each chunk of a pass
// is read by one script that runs SCAN and then GET on the keys it returned, so every
// value is the key's value at the instant the chunk was taken (HSCAN returns fields with
// their values by itself). Redis resumes a pass only between replies, so a callback's
// false takes effect at the end of the current reply, never inside it: stopping never
// drops the rest of a reply.
#include <hiredis/hiredis.h>

#include <atomic>
#include <charconv>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "../lab/scenarios/out_of_process.hpp"
#include "hiredis_ptr.hpp"
#include "peers.hpp"
#include "redis_server.hpp"

namespace syncmap::lab::peers {

namespace {

enum class layout { keyspace, hash, cluster };

// The operations that read and write one entry, as scripts over get/set/del of that
// entry: KEYS[1] is the key (keyspace) or the hash, ARGV[1] the field (hash only), ARGV[2]
// the value written, ARGV[3] the value compared.
constexpr const char* key_entry =
    "local function get() return redis.call('GET', KEYS[1]) end "
    "local function set(v) redis.call('SET', KEYS[1], v) end "
    "local function del() redis.call('DEL', KEYS[1]) end ";
constexpr const char* field_entry =
    "local function get() return redis.call('HGET', KEYS[1], ARGV[1]) end "
    "local function set(v) redis.call('HSET', KEYS[1], ARGV[1], v) end "
    "local function del() redis.call('HDEL', KEYS[1], ARGV[1]) end ";
constexpr const char* load_or_store_body = "local v = get() if v then return {v, 1} end set(ARGV[2]) return {ARGV[2], 0}";
constexpr const char* load_and_delete_body = "local v = get() if v then del() end return v";
constexpr const char* exchange_body = "local v = get() set(ARGV[2]) return v";
constexpr const char* compare_and_swap_body = "if get() == ARGV[3] then set(ARGV[2]) return 1 end return 0";
constexpr const char* compare_and_delete_body = "if get() == ARGV[3] then del() return 1 end return 0";

// One chunk of a keyspace pass: SCAN, then the value of every key it returned, in one
// script (atomic). The keys are not declared (SCAN finds them), hence the flag; on a
// cluster node SCAN returns only the node's own keys, so every GET is local.
constexpr const char* scan_chunk_script =
    "#!lua flags=allow-cross-slot-keys\n"
    "local r = redis.call('SCAN', ARGV[1], 'COUNT', ARGV[2]) "
    "local vs = {} "
    "for i, k in ipairs(r[2]) do vs[i] = redis.call('GET', k) end "
    "return {r[1], r[2], vs}";

// Redis Cluster's key slot: CRC16 (XMODEM: polynomial 0x1021, initial 0) mod 16384.
// Keys "k<n>" have no hash tag, so the whole key is hashed.
unsigned key_slot(std::string_view key) noexcept {
    std::uint16_t crc = 0;
    for (unsigned char c : key) {
        crc ^= static_cast<std::uint16_t>(c << 8);
        for (int i = 0; i < 8; ++i) crc = static_cast<std::uint16_t>(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    return crc & 16383u;
}

std::uint64_t parse_u64(const char* s, std::size_t len, const char* what) {
    std::uint64_t v = 0;
    const auto [p, ec] = std::from_chars(s, s + len, v);
    if (ec != std::errc{} || p != s + len) throw std::runtime_error(std::string("redis: malformed ") + what + ": " + std::string(s, len));
    return v;
}

std::uint64_t parse_key(const redisReply* r, layout l) {
    if (r->type != REDIS_REPLY_STRING) throw std::runtime_error("redis: SCAN returned a non-string key");
    if (l == layout::hash) return parse_u64(r->str, r->len, "field");
    if (r->len < 2 || r->str[0] != 'k') throw std::runtime_error("redis: a key the lab did not write: " + std::string(r->str, r->len));
    return parse_u64(r->str + 1, r->len - 1, "key");
}

std::optional<value_type> parse_value(const redisReply* r) {
    if (r->type == REDIS_REPLY_NIL) return std::nullopt;
    if (r->type != REDIS_REPLY_STRING) throw std::runtime_error("redis: a value is not a string");
    return parse_u64(r->str, r->len, "value");
}

// Fresh adapters get fresh numbers: a thread's cached connections are never mistaken for
// those of an adapter that used to live at the same address.
std::atomic<std::uint64_t> next_adapter_id{1};

class redis_map final : public map_adapter {
public:
    redis_map(std::string name, layout l) : name_(std::move(name)), layout_(l) {}

    std::string name() const override { return name_; }
    capabilities caps() const override {
        capabilities c;
        for (std::size_t i = 0; i < op_kind_count; ++i) c.ops[i] = true;
        c.range = true;
        c.range_reentrant = true;  // a reply is read whole before the callback runs
        c.clear = true;
        c.scan = true;
        return c;
    }
    promise promises(clause c) const override {
        switch (c) {
            // One command or script at a time: every operation is atomic.
            case clause::L1:
            // SCAN: "A full iteration always retrieves all the elements that were present
            // in the collection from the start to the end of a full iteration" (W1), and
            // "never returns any element that was NOT present in the collection from the
            // start to the end of a full iteration" (W3).
            case clause::W1:
            case clause::W3:
            // Values are read in the same script as the chunk's keys (HSCAN: in the
            // same reply), so each is the key's value at one instant of the pass.
            case clause::W4: return promise::promised;
            // "A given element may be returned multiple times": duplicates are allowed,
            // and C2 includes W2.
            case clause::W2:
            case clause::C2: return promise::not_promised;
            default: return promise::not_supported;
        }
    }

    std::optional<value_type> load(key_type k) override {
        const entry e = at(k);
        return parse_value(hash() ? run(e.node, {"HGET", "h", e.field}).get() : run(e.node, {"GET", e.key}).get());
    }
    bool contains(key_type k) override {
        const entry e = at(k);
        return integer(hash() ? run(e.node, {"HEXISTS", "h", e.field}) : run(e.node, {"EXISTS", e.key})) == 1;
    }
    void store(key_type k, value_type v) override {
        const entry e = at(k);
        if (hash())
            run(e.node, {"HSET", "h", e.field, std::to_string(v)});
        else
            run(e.node, {"SET", e.key, std::to_string(v)});
    }
    bool erase(key_type k) override {
        const entry e = at(k);
        return integer(hash() ? run(e.node, {"HDEL", "h", e.field}) : run(e.node, {"DEL", e.key})) == 1;
    }
    std::pair<value_type, bool> load_or_store(key_type k, value_type v) override {
        const reply_ptr r = script(k, load_or_store_body, v, 0);
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) throw std::runtime_error("redis: load_or_store reply");
        return {*parse_value(r->element[0]), r->element[1]->integer == 1};
    }
    std::optional<value_type> load_and_delete(key_type k) override { return parse_value(script(k, load_and_delete_body, 0, 0).get()); }
    std::optional<value_type> exchange(key_type k, value_type v) override {
        return parse_value(script(k, exchange_body, v, 0).get());
    }
    bool compare_and_swap(key_type k, value_type old_v, value_type new_v) override {
        return integer(script(k, compare_and_swap_body, new_v, old_v)) == 1;
    }
    bool compare_and_delete(key_type k, value_type old_v) override {
        return integer(script(k, compare_and_delete_body, 0, old_v)) == 1;
    }
    void clear() override {
        if (hash()) {
            run(0, {"DEL", "h"});
            return;
        }
        // A cluster is emptied master by master: not one instant, which the checkers
        // model (a clear erases each key at its own instant inside the call).
        for (std::size_t n = 0; n < node_count(); ++n) run(n, {"FLUSHDB", "SYNC"});
    }

    void range(range_callback f) override {
        scan_cursor c;
        while (!c.done) c = chunk(c, range_chunk, f);
    }
    scan_cursor scan(const scan_cursor& from, std::size_t n, range_callback f, bool) override {
        return chunk(from, n, f);
    }
    scan_cursor range_until_stopped(range_callback f, std::stop_token stop) override {
        bool go_on = true;
        scan_cursor c;
        while (!c.done && go_on && !stop.stop_requested())
            c = chunk(c, range_chunk, [&](key_type k, value_type v) {
                go_on = f(k, v) && go_on;
                return true;
            });
        return c;
    }

    ~redis_map() override = default;

private:
    static constexpr std::size_t range_chunk = 64;  // SCAN's COUNT for range()

    struct entry {
        std::size_t node = 0;
        std::string key, field;  // "k<key>" (keyspace, cluster) or "<key>" (hash)
    };
    struct thread_connections {
        std::vector<context_ptr> nodes;
    };

    bool hash() const noexcept { return layout_ == layout::hash; }
    std::size_t node_count() { return setup().nodes().size(); }

    entry at(key_type k) {
        entry e;
        if (hash()) {
            e.field = std::to_string(k);
            return e;
        }
        e.key = "k" + std::to_string(k);
        if (layout_ == layout::cluster) e.node = setup().slot_owner()[key_slot(e.key)];
        return e;
    }

    // The deployment, started on first use; the map's own keys emptied once (a fresh map).
    redis_deployment& setup() {
        std::call_once(setup_once_, [this] {
            deployment_ = &redis_deployment::shared(layout_ == layout::cluster ? redis_deployment::kind::cluster
                                                                              : redis_deployment::kind::standalone);
            for (std::size_t n = 0; n < deployment_->nodes().size(); ++n) run(n, {"FLUSHALL", "SYNC"});
        });
        return *deployment_;
    }

    // This thread's connection to node `n`, opened on first use.
    redisContext* connection(std::size_t n) {
        thread_local std::uint64_t cached_id = 0;
        thread_local thread_connections* cached = nullptr;
        if (cached_id != id_) {
            std::lock_guard lock(connections_mutex_);
            cached = &connections_[std::this_thread::get_id()];
            cached_id = id_;
        }
        if (cached->nodes.empty()) cached->nodes.resize(deployment_->nodes().size());
        context_ptr& c = cached->nodes[n];
        if (!c) {
            const redis_endpoint& e = deployment_->nodes()[n];
            c.reset(redisConnect(e.host.c_str(), e.port));
            if (!c || c->err) throw std::runtime_error("redis: cannot connect to port " + std::to_string(e.port));
        }
        return c.get();
    }

    reply_ptr run(std::size_t node, const std::vector<std::string>& args) {
        if (!deployment_) setup();
        std::vector<const char*> argv;
        std::vector<std::size_t> lens;
        for (const auto& a : args) {
            argv.push_back(a.data());
            lens.push_back(a.size());
        }
        redisContext* c = connection(node);
        reply_ptr r(static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
        if (!r) throw std::runtime_error(std::string("redis: connection lost: ") + c->errstr);
        if (r->type == REDIS_REPLY_ERROR) throw std::runtime_error("redis: " + args.front() + ": " + std::string(r->str, r->len));
        return r;
    }

    static long long integer(const reply_ptr& r) {
        if (r->type != REDIS_REPLY_INTEGER) throw std::runtime_error("redis: expected an integer reply");
        return r->integer;
    }

    reply_ptr script(key_type k, const char* body, value_type write, value_type compare) {
        const entry e = at(k);
        const std::string text = std::string(hash() ? field_entry : key_entry) + body;
        return run(e.node, {"EVAL", text, "1", hash() ? std::string("h") : e.key, e.field, std::to_string(write),
                            std::to_string(compare)});
    }

    // One reply of a pass. Cursor bytes: the Redis cursor (8 bytes), then the node.
    scan_cursor chunk(const scan_cursor& from, std::size_t count, range_callback f) {
        std::uint64_t cursor = 0;
        std::uint8_t node = 0;
        if (from.started) {
            std::memcpy(&cursor, from.bytes.data(), sizeof cursor);
            node = from.bytes[8];
        }
        const std::string count_text = std::to_string(std::max<std::size_t>(count, 1));
        std::uint64_t next = 0;
        if (hash()) {
            const reply_ptr r = run(0, {"HSCAN", "h", std::to_string(cursor), "COUNT", count_text});
            next = parse_u64(r->element[0]->str, r->element[0]->len, "cursor");
            const redisReply* items = r->element[1];
            for (std::size_t i = 0; i + 1 < items->elements; i += 2)
                f(parse_key(items->element[i], layout_), *parse_value(items->element[i + 1]));
        } else {
            const reply_ptr r = run(node, {"EVAL", scan_chunk_script, "0", std::to_string(cursor), count_text});
            next = parse_u64(r->element[0]->str, r->element[0]->len, "cursor");
            const redisReply* keys = r->element[1];
            const redisReply* values = r->element[2];
            for (std::size_t i = 0; i < keys->elements; ++i) {
                const auto v = parse_value(values->element[i]);
                if (!v) throw std::runtime_error("redis: a key SCAN returned had no value in the same script");
                f(parse_key(keys->element[i], layout_), *v);
            }
        }
        scan_cursor out;
        out.started = true;
        if (next == 0 && static_cast<std::size_t>(node) + 1 >= node_count()) {
            out.done = true;
            return out;
        }
        if (next == 0) ++node;  // this master is done: the next one, from its start
        std::memcpy(out.bytes.data(), &next, sizeof next);
        out.bytes[8] = node;
        return out;
    }

    std::string name_;
    layout layout_;
    const std::uint64_t id_ = next_adapter_id.fetch_add(1, std::memory_order_relaxed);
    std::once_flag setup_once_;
    redis_deployment* deployment_ = nullptr;
    std::mutex connections_mutex_;
    std::unordered_map<std::thread::id, thread_connections> connections_;
};

adapter_entry redis_entry(const char* name, layout l, std::string description) {
    adapter_entry e{name, "peer", std::move(description), [name, l] { return std::make_unique<redis_map>(name, l); }};
    e.served = true;
    return e;
}

}  // namespace

std::vector<adapter_entry> redis_entries() {
    std::vector<adapter_entry> out;
    struct one {
        const char* name;
        layout l;
        redis_deployment::kind k;
        const char* description;
    };
    for (const one& o : {one{"redis_scan", layout::keyspace, redis_deployment::kind::standalone,
                             "Redis 7 keys, SCAN passes (values read in the same script), in process via hiredis"},
                         one{"redis_hscan", layout::hash, redis_deployment::kind::standalone,
                             "Redis 7 fields of one hash, HSCAN passes, in process via hiredis"},
                         one{"redis_cluster_scan", layout::cluster, redis_deployment::kind::cluster,
                             "Redis 7 Cluster (3 masters), keys routed by CRC16 slot, SCAN master by master"}}) {
        if (redis_installed(o.k)) {
            out.push_back(redis_entry(o.name, o.l, o.description));
        } else {
            out_of_process_peer missing;
            missing.map = o.name;
            missing.command = {"redis-server"};
            missing.missing = "not installed: redis-server (redis-server, redis-tools) is missing";
            out.push_back(out_of_process_entry(o.name, o.description, std::move(missing)));
        }
    }
    return out;
}

}  // namespace syncmap::lab::peers
