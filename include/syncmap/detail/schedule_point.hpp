// syncmap/detail/schedule_point.hpp - a hook between the shared-memory steps of
// sync_map's reader/writer protocols (leaf.hpp, entry_slot.hpp, sync_map.hpp).
//
// The deterministic-schedule test (tests/protocol_schedule_test.cpp) defines
// SYNCMAP_SCHEDULE_POINT() before including syncmap, to hand control to its scheduler at
// each point, so that it can run a reader and writers through chosen interleavings of
// their steps. Everywhere else it compiles to nothing.
#pragma once

#ifndef SYNCMAP_SCHEDULE_POINT
#define SYNCMAP_SCHEDULE_POINT() ((void)0)
#endif
