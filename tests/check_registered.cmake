# Fails naming every tests/**/test_*.c and test_*.py that no registered test
# runs, so that a test file renamed, or added without its add_test, cannot
# silently drop out of the suite.
# Run as: cmake -DCTEST=ctest -DBUILD=build -DSOURCES=test_sources.txt
#               -DTESTS=tests -P check_registered.cmake
cmake_minimum_required(VERSION 3.20)
execute_process(COMMAND ${CTEST} -N --show-only=json-v1
                WORKING_DIRECTORY ${BUILD}
                RESULT_VARIABLE rc OUTPUT_VARIABLE json ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ctest -N --show-only=json-v1 in ${BUILD} failed "
                      "(exit ${rc}): ${err}")
endif()

# Every word of every registered test's command line.
set(args "")
string(JSON n_tests LENGTH "${json}" tests)
math(EXPR last "${n_tests} - 1")
foreach(i RANGE ${last})
  string(JSON n_args ERROR_VARIABLE no_command LENGTH "${json}" tests ${i}
         command)
  if(no_command)
    continue()
  endif()
  math(EXPR last_arg "${n_args} - 1")
  foreach(j RANGE ${last_arg})
    string(JSON a GET "${json}" tests ${i} command ${j})
    list(APPEND args "${a}")
  endforeach()
endforeach()

# The scripts named on those command lines, and the sources of the
# executables they run.
set(covered ${args})
file(STRINGS ${SOURCES} lines)
foreach(line ${lines})
  string(FIND "${line}" "|" bar)
  string(SUBSTRING "${line}" 0 ${bar} exe)
  math(EXPR from "${bar} + 1")
  string(SUBSTRING "${line}" ${from} -1 srcs)
  if(exe IN_LIST args)
    string(REPLACE "," ";" srcs "${srcs}")
    list(APPEND covered ${srcs})
  endif()
endforeach()

file(GLOB_RECURSE files ${TESTS}/test_*.c ${TESTS}/test_*.py)
list(LENGTH files n_files)
if(n_files EQUAL 0)
  message(FATAL_ERROR "no test_*.c or test_*.py found under ${TESTS}")
endif()
set(orphans "")
foreach(f ${files})
  if(NOT f IN_LIST covered)
    file(RELATIVE_PATH rel ${TESTS} ${f})
    list(APPEND orphans "tests/${rel}")
  endif()
endforeach()
if(orphans)
  list(JOIN orphans "\n  " text)
  message(FATAL_ERROR "test files that no add_test runs (register each in "
                      "its folder's CMakeLists.txt, or delete it):\n  ${text}")
endif()
message(STATUS "all ${n_files} test files under ${TESTS} are registered "
               "(${n_tests} tests)")
