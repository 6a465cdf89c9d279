# syncmap's RCU (detail/rcu.hpp): grace periods, nesting, retire and barrier, a
# use-after-free checker, thread churn, and thread/process lifetime edges.
syncmap_add_test(NAME rcu_test SOURCES rcu_core_test.cpp LABELS rcu TIMEOUT 300)
# The same tests with the fallback readers take where membarrier is unavailable (a seq_cst
# fence on entry). ThreadSanitizer builds always use the fallback, so this adds nothing there.
if(NOT SYNCMAP_SANITIZE STREQUAL "thread")
  add_test(NAME rcu_test_without_membarrier COMMAND rcu_test)
  set_tests_properties(rcu_test_without_membarrier PROPERTIES TIMEOUT 300 LABELS rcu
    ENVIRONMENT "SYNCMAP_RCU_NO_MEMBARRIER=1")
endif()
# Re-runs itself as a child process for the exit scenarios.
syncmap_add_test(NAME rcu_lifetime_test SOURCES rcu_lifetime_test.cpp LABELS rcu TIMEOUT 300)
