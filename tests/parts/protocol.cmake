# The reader/writer protocol of one sync_map leaf under a deterministic scheduler:
# exhaustive (bounded-preemption) and PCT schedules over SYNCMAP_SCHEDULE_POINT().
syncmap_add_test(NAME protocol_schedule_test SOURCES protocol_schedule_test.cpp LABELS sync_map TIMEOUT 300)
# The publication order of a leaf split (plain and doubling, both storages) against a
# directory walker (size(), debug_structure()), every schedule up to 3 preemptions.
syncmap_add_test(NAME split_publication_test SOURCES split_publication_test.cpp LABELS sync_map TIMEOUT 300)
