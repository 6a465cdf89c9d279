# Script mode (cmake -P), run by the lab_output CTest test: what syncmap-lab prints when
# stderr is not a terminal (CTest's pipes), on a short run of two scenarios on every
# container:
#   - stderr: one plain progress line per finished scenario, with the time taken and an
#     estimate of what is left, and no escape code;
#   - stdout: no line wider than 120 columns (the tables are split to fit);
#   - --version: the version of version.hpp, i.e. of the project (VERSION).
# Inputs: LAB, VERSION, WORK_DIR.
foreach(var LAB VERSION WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_lab_output.cmake: ${var} is not set")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

execute_process(COMMAND ${LAB} --version RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out STREQUAL "syncmap-lab (syncmap ${VERSION})\n")
  message(FATAL_ERROR "syncmap-lab --version printed '${out}' (${rc}) ${err}, expected 'syncmap-lab (syncmap ${VERSION})'")
endif()

execute_process(COMMAND ${LAB} --quick --seconds 0.01 --scenario point-ops --scenario two-ranges --no-report
  RESULT_VARIABLE rc OUTPUT_FILE ${WORK_DIR}/stdout.txt ERROR_FILE ${WORK_DIR}/stderr.txt)
file(READ ${WORK_DIR}/stderr.txt err)
file(READ ${WORK_DIR}/stdout.txt out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "syncmap-lab failed (${rc}):\n${out}\n${err}")
endif()

string(ASCII 27 escape)
string(FIND "${err}" "${escape}" at)
if(NOT at EQUAL -1 OR err MATCHES "\r")
  message(FATAL_ERROR "syncmap-lab wrote terminal control codes to a stderr that is not a terminal:\n${err}")
endif()
# The lines hold ';', CMake's list separator: count them without it.
string(REPLACE ";" ":" err_lines "${err}")
string(REGEX MATCHALL "syncmap-lab: [a-z-]+ done \\([0-9]+ runs, [0-9]+ (s|min [0-9]+ s)\\): [0-9]+/[0-9]+ runs in [^,]+, [^\n]+\n"
       lines "${err_lines}")
list(LENGTH lines count)
if(NOT count EQUAL 2 OR NOT err MATCHES "point-ops done.*about .* left" OR NOT err MATCHES "two-ranges done.*, done\n")
  message(FATAL_ERROR "expected one progress line for each of the 2 scenarios, the first with an estimate "
                      "of the time left, the last saying done; stderr was:\n${err}")
endif()

file(STRINGS ${WORK_DIR}/stdout.txt stdout_lines)
set(wide "")
foreach(line IN LISTS stdout_lines)
  string(LENGTH "${line}" length)
  if(length GREATER 120)
    string(APPEND wide "${length}: ${line}\n")
  endif()
endforeach()
if(wide)
  message(FATAL_ERROR "syncmap-lab printed lines wider than 120 columns:\n${wide}")
endif()
if(NOT out MATCHES "\\| container")
  message(FATAL_ERROR "syncmap-lab printed no table:\n${out}")
endif()
message(STATUS "progress lines:\n${err}")
