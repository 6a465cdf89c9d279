# The reader/writer protocol of one sync_map leaf under a deterministic scheduler:
# exhaustive (bounded-preemption) and PCT schedules over SYNCMAP_SCHEDULE_POINT().
syncmap_add_test(NAME protocol_schedule_test SOURCES protocol_schedule_test.cpp LABELS sync_map TIMEOUT 300)
