#include "etcd_cluster.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "../lab/core/child_process.hpp"
#include "http_json.hpp"

namespace syncmap::lab::peers {

struct etcd_cluster::member {
    explicit member(const std::vector<std::string>& argv) : process(argv) {}
    service_process process;
};

bool etcd_installed() { return program_exists("etcd"); }

// On tmpfs where there is one: etcd syncs its log on every write.
etcd_cluster::etcd_cluster()
    : dir_(std::filesystem::is_directory("/dev/shm") && ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
           "syncmap-lab-etcd-") {
    {
        const child_outcome v = run_child({"etcd", "--version"}, "", 10);
        version_ = v.out.substr(0, v.out.find('\n'));
    }
    constexpr int count = 3;
    std::vector<int> peer_ports;
    for (int i = 0; i < count; ++i) {
        client_ports_.push_back(free_loopback_port());
        peer_ports.push_back(free_loopback_port());
    }
    std::string initial;
    for (int i = 0; i < count; ++i)
        initial += (i ? "," : "") + std::string("m") + std::to_string(i) + "=http://127.0.0.1:" + std::to_string(peer_ports[i]);
    for (int i = 0; i < count; ++i) {
        const std::string client = "http://127.0.0.1:" + std::to_string(client_ports_[i]);
        const std::string peer = "http://127.0.0.1:" + std::to_string(peer_ports[i]);
        members_.push_back(std::make_unique<member>(std::vector<std::string>{
            "etcd", "--name", "m" + std::to_string(i), "--data-dir", dir_.path() + "/m" + std::to_string(i),
            "--listen-client-urls", client, "--advertise-client-urls", client, "--listen-peer-urls", peer,
            "--initial-advertise-peer-urls", peer, "--initial-cluster", initial, "--initial-cluster-state", "new",
            "--initial-cluster-token", "syncmap-lab", "--logger", "zap", "--log-level", "error"}));
    }
    // Healthy: every member answers /health with a leader elected and its store usable.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (int i = 0; i < count; ++i) {
        http_connection c("127.0.0.1", client_ports_[i]);
        for (;;) {
            if (!members_[i]->process.running()) throw std::runtime_error("etcd member m" + std::to_string(i) + " exited at start");
            if (c.get("/health").find("\"health\":\"true\"") != std::string::npos) break;
            if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("etcd cluster not healthy within 30 s");
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
}

// Each member's service_process stops it; then the data directories go.
etcd_cluster::~etcd_cluster() = default;

etcd_cluster& etcd_cluster::shared() {
    static std::mutex m;
    static std::unique_ptr<etcd_cluster> cluster;
    std::lock_guard lock(m);
    if (!cluster) cluster = std::make_unique<etcd_cluster>();
    return *cluster;
}

}  // namespace syncmap::lab::peers
