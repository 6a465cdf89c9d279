// syncmap/syncmap.hpp - every public header of syncmap at once. Including the one header
// you use (sync_map.hpp, go_map.hpp, ...) compiles faster; this one is for convenience.
#pragma once

#include "detail/config.hpp"
#include "version.hpp"

#include "cow_map.hpp"
#include "cursor.hpp"
#include "equal_to.hpp"
#include "go_map.hpp"
#include "hash.hpp"
#include "read_dirty_map.hpp"
#include "stats.hpp"
#include "storage.hpp"
#include "sync_map.hpp"
#include "tiebreak_hash.hpp"
