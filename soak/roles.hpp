// The soak's threads. Each body runs until `until` (seconds since the start) or until the
// soak stops, then returns: thread_churn.hpp starts a fresh thread to carry on, so that
// per-thread RCU records and allocator state come and go all through the run.
#pragma once

#include <random>

#include "shared_state.hpp"

namespace syncmap::soak {

// An owner slot (owner.cpp): churns its own keys of both maps with every write operation
// and checks each result against its model; holds short snapshots (and, slot 0, the
// long-held one) and checks them against the model as it was when they were taken.
void run_owner(soak_shared& sh, owner_state& o, double until);

// Observers (observers.cpp): they read and check what every owner wrote, without a model.
// Point reads: values name their keys, pinned keys are present.
void run_reader(soak_shared& sh, std::mt19937_64& rng, double until);
// Full passes over the live maps: range, range stopped by a stop_token and resumed with
// scan, and scan passes whose cursor travels as text between calls.
void run_traverser(soak_shared& sh, std::mt19937_64& rng, double until);
// Short snapshots of either map, walked two ways that must agree (S4), with their
// point loads, their size, and the pinned keys.
void run_snapshotter(soak_shared& sh, std::mt19937_64& rng, double until);

// The coordinator (coordinator.cpp), run by the main thread.
// Compares each live map with the owners' models, exactly (owners parked or gone).
void compare_with_models(soak_shared& sh, const char* when);
// Parks the owners, compares, clears both maps, puts the pinned keys back, resumes.
void pause_compare_and_clear(soak_shared& sh);
// Before any thread starts: builds the owner slots and stores the pinned keys.
void set_up_owners(soak_shared& sh);

}  // namespace syncmap::soak
