#include "redis_server.hpp"

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "../lab/core/child_process.hpp"
#include "hiredis_ptr.hpp"

namespace syncmap::lab::peers {

struct redis_deployment::server {
    explicit server(const std::vector<std::string>& argv) : process(argv) {}
    service_process process;
};

namespace {

context_ptr try_connect(const redis_endpoint& e) {
    const timeval timeout{1, 0};
    context_ptr c(redisConnectWithTimeout(e.host.c_str(), e.port, timeout));
    if (!c || c->err) return nullptr;
    return c;
}

reply_ptr command(redisContext* c, const char* text) {
    return reply_ptr(static_cast<redisReply*>(redisCommand(c, text)));
}

// Waits until the server at `e` answers PING (it loads nothing: no persistence).
void wait_until_up(const redis_endpoint& e, service_process& p) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        if (!p.running()) throw std::runtime_error("redis-server on port " + std::to_string(e.port) + " exited at start");
        if (context_ptr c = try_connect(e)) {
            reply_ptr r = command(c.get(), "PING");
            if (r && r->type == REDIS_REPLY_STATUS && std::string(r->str) == "PONG") return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("redis-server on port " + std::to_string(e.port) + " did not answer within 10 s");
}

bool cluster_ok(const redis_endpoint& e) {
    context_ptr c = try_connect(e);
    if (!c) return false;
    reply_ptr r = command(c.get(), "CLUSTER INFO");
    return r && r->type == REDIS_REPLY_STRING && std::string(r->str).find("cluster_state:ok") != std::string::npos;
}

}  // namespace

bool redis_installed(redis_deployment::kind k) {
    return program_exists("redis-server") && (k == redis_deployment::kind::standalone || program_exists("redis-cli"));
}

redis_deployment::redis_deployment(kind k) : dir_("/tmp", "syncmap-lab-redis-") {
    {
        const child_outcome v = run_child({"redis-server", "--version"}, "", 10);
        version_ = v.out.substr(0, v.out.find('\n'));
    }
    const int count = k == kind::cluster ? 3 : 1;
    for (int i = 0; i < count; ++i) {
        redis_endpoint e;
        e.port = free_loopback_port();
        std::vector<std::string> argv = {"redis-server", "--port", std::to_string(e.port), "--bind", "127.0.0.1",
                                         "--protected-mode", "yes", "--save", "", "--appendonly", "no",
                                         "--daemonize", "no", "--dir", dir_.path(), "--logfile", ""};
        if (k == kind::cluster) {
            // The cluster bus gets a port of its own too (Redis 7's cluster-port), so that
            // the default port + 10000 can never leave the range or collide.
            const std::string conf = dir_.path() + "/nodes-" + std::to_string(e.port) + ".conf";
            for (std::string a : {"--cluster-enabled", "yes", "--cluster-config-file"}) argv.push_back(a);
            argv.push_back(conf);
            argv.push_back("--cluster-port");
            argv.push_back(std::to_string(free_loopback_port()));
            argv.push_back("--cluster-node-timeout");
            argv.push_back("5000");
        }
        servers_.push_back(std::make_unique<server>(argv));
        nodes_.push_back(e);
        wait_until_up(e, servers_.back()->process);
    }
    if (k == kind::standalone) return;

    // Three masters, no replicas; redis-cli assigns the slots and joins the nodes.
    std::vector<std::string> create = {"redis-cli", "--cluster", "create"};
    for (const auto& e : nodes_) create.push_back(e.host + ":" + std::to_string(e.port));
    for (std::string a : {"--cluster-replicas", "0", "--cluster-yes"}) create.push_back(a);
    const child_outcome made = run_child(create, "", 60);
    if (made.exit_code != 0 || made.signaled)
        throw std::runtime_error("redis-cli --cluster create: " + made.describe() + ": " + made.err.substr(0, 300));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (const auto& e : nodes_)
        while (!cluster_ok(e)) {
            if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("redis cluster did not reach state ok");
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }

    // Slot ownership, as every node now agrees (no resharding happens during a run).
    context_ptr c = try_connect(nodes_.front());
    if (!c) throw std::runtime_error("redis cluster: cannot connect");
    reply_ptr r = command(c.get(), "CLUSTER SLOTS");
    if (!r || r->type != REDIS_REPLY_ARRAY) throw std::runtime_error("redis cluster: CLUSTER SLOTS failed");
    slot_owner_.assign(16384, 255);
    for (std::size_t i = 0; i < r->elements; ++i) {
        const redisReply* range = r->element[i];
        const redisReply* master = range->element[2];
        const int port = static_cast<int>(master->element[1]->integer);
        unsigned char owner = 255;
        for (std::size_t n = 0; n < nodes_.size(); ++n)
            if (nodes_[n].port == port) owner = static_cast<unsigned char>(n);
        for (long long s = range->element[0]->integer; s <= range->element[1]->integer; ++s)
            slot_owner_[static_cast<std::size_t>(s)] = owner;
    }
    for (unsigned char o : slot_owner_)
        if (o == 255) throw std::runtime_error("redis cluster: a slot has no known master");
}

// Each service_process member stops its server and reaps it; then the directory goes.
redis_deployment::~redis_deployment() = default;

redis_deployment& redis_deployment::shared(kind k) {
    // Started on first use, destroyed (servers stopped) at the lab's exit.
    static std::mutex m;
    static std::unique_ptr<redis_deployment> standalone, cluster;
    std::lock_guard lock(m);
    auto& slot = k == kind::cluster ? cluster : standalone;
    if (!slot) slot = std::make_unique<redis_deployment>(k);
    return *slot;
}

}  // namespace syncmap::lab::peers
