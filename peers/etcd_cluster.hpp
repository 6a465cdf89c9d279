// peers/etcd_cluster.hpp - the etcd cluster the lab starts for the etcd peer: three etcd
// 3.4 members on loopback ports the lab picks (client and peer URLs on 127.0.0.1 only),
// their data directories in a temporary directory (under /dev/shm when it exists, so that
// fsync is cheap) removed when the cluster is destroyed. Started on first use, shared by
// the run, stopped at the lab's exit; the members are service_process children, killed
// with their process group if the lab is interrupted or dies.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "../lab/core/temporary_dir.hpp"

namespace syncmap::lab::peers {

class etcd_cluster {
public:
    etcd_cluster();  // throws std::runtime_error if the members do not become healthy
    ~etcd_cluster();
    etcd_cluster(const etcd_cluster&) = delete;
    etcd_cluster& operator=(const etcd_cluster&) = delete;

    [[nodiscard]] const std::vector<int>& client_ports() const noexcept { return client_ports_; }
    [[nodiscard]] const std::string& version() const noexcept { return version_; }

    static etcd_cluster& shared();

private:
    struct member;
    temporary_dir dir_;  // declared first: removed after the members have stopped
    std::vector<std::unique_ptr<member>> members_;
    std::vector<int> client_ports_;
    std::string version_;
};

bool etcd_installed();

}  // namespace syncmap::lab::peers
