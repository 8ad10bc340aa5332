# The `lanthanide tournament` command end to end: the same CSV from
# --jobs 1 and --jobs 2, and from two --shard runs joined by
# `tournament merge`; `tournament show`; a usage error exits 2.
# Run as: cmake -DEXE=lanthanide -DDIR=scratch -P cli.cmake
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})

function(run)
  execute_process(COMMAND ${EXE} tournament ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "lanthanide tournament ${ARGN}: exit ${rc}\n${out}\n${err}")
  endif()
  set(OUT "${out}" PARENT_SCOPE)
endfunction()

set(common --map classroom --games 24 --seed 99)
run(${common} --jobs 1 --out ${DIR}/j1.db --csv ${DIR}/j1.csv)
if(NOT OUT MATCHES "rating" OR NOT OUT MATCHES "24 games")
  message(FATAL_ERROR "no leaderboard printed:\n${OUT}")
endif()
run(${common} --jobs 2 --out ${DIR}/j2.db --csv ${DIR}/j2.csv --quiet)
run(${common} --jobs 2 --shard 0/3 --out ${DIR}/s0.db --quiet)
run(${common} --jobs 1 --shard 1/3 --out ${DIR}/s1.db --quiet)
run(${common} --jobs 2 --shard 2/3 --out ${DIR}/s2.db --quiet)
run(merge --out ${DIR}/m.db --csv ${DIR}/m.csv
    ${DIR}/s2.db ${DIR}/s0.db ${DIR}/s1.db)
run(show ${DIR}/m.db)

foreach(f j2.csv m.csv)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files
                  ${DIR}/j1.csv ${DIR}/${f} RESULT_VARIABLE diff)
  if(NOT diff EQUAL 0)
    message(FATAL_ERROR "${f} differs from j1.csv")
  endif()
endforeach()
file(STRINGS ${DIR}/j1.csv lines)
list(LENGTH lines n)
if(NOT n EQUAL 217) # a header and 24 games x 9 seats
  message(FATAL_ERROR "j1.csv has ${n} lines, not 217")
endif()

execute_process(COMMAND ${EXE} tournament --map classroom --out ${DIR}/x.db
                        --shard 3/3
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
if(NOT rc EQUAL 2)
  message(FATAL_ERROR "--shard 3/3 exited ${rc}, not 2")
endif()
execute_process(COMMAND ${EXE} tournament merge --out ${DIR}/y.db
                        ${DIR}/s0.db ${DIR}/s1.db
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT err MATCHES "missing")
  message(FATAL_ERROR "a merge without shard 2 exited ${rc}: ${err}")
endif()
file(REMOVE_RECURSE ${DIR})
