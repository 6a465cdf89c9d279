// peers/redis_server.hpp - the Redis servers the lab starts for the Redis peers: one
// standalone redis-server, or a Redis Cluster of three masters, each on loopback ports the
// lab picks, bound to 127.0.0.1 only, with no persistence (`--save ""`, `--appendonly no`).
//
// A deployment is started on first use and shared by every Redis map of the run (each map
// empties it when it starts: a fresh map per run). Its servers are service_process
// children (lab/core/child_process.hpp), so they are stopped when the deployment is
// destroyed at the lab's exit, and killed with their process group if the lab is
// interrupted or dies. Its working directory (the cluster's node files) is a temporary
// directory removed on destruction.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "../lab/core/temporary_dir.hpp"

namespace syncmap::lab::peers {

struct redis_endpoint {
    std::string host = "127.0.0.1";
    int port = 0;
};

class redis_deployment {
public:
    enum class kind { standalone, cluster };

    // Throws std::runtime_error if a server does not come up or the cluster does not form.
    explicit redis_deployment(kind k);
    ~redis_deployment();
    redis_deployment(const redis_deployment&) = delete;
    redis_deployment& operator=(const redis_deployment&) = delete;

    [[nodiscard]] const std::vector<redis_endpoint>& nodes() const noexcept { return nodes_; }
    // Cluster only: the index in nodes() of the master serving each of the 16384 slots.
    [[nodiscard]] const std::vector<unsigned char>& slot_owner() const noexcept { return slot_owner_; }
    // "Redis server v=7.0.15 ...": the server's version line.
    [[nodiscard]] const std::string& version() const noexcept { return version_; }

    // The deployment of this kind shared by the whole run, started on first call and
    // stopped at the lab's exit.
    static redis_deployment& shared(kind k);

private:
    struct server;
    temporary_dir dir_;  // declared first: removed after the servers have stopped
    std::vector<std::unique_ptr<server>> servers_;
    std::vector<redis_endpoint> nodes_;
    std::vector<unsigned char> slot_owner_;
    std::string version_;
};

// True if redis-server (and, for a cluster, redis-cli) can be run.
bool redis_installed(redis_deployment::kind k);

}  // namespace syncmap::lab::peers
