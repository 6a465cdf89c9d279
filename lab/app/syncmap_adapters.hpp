// lab/app/syncmap_adapters.hpp - syncmap's own containers as lab adapters.
#pragma once

#include <vector>

#include "../core/adapter.hpp"

namespace syncmap::lab {

// Every syncmap container whose header exists in this build, in report order.
std::vector<adapter_entry> syncmap_containers();

}  // namespace syncmap::lab
