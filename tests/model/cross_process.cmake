# Runs model-hash twice, in two processes, on each analytic and classroom
# map and fails unless the hash sequences are identical; also checks that
# two seeds give different sequences on classroom (it has random events).
foreach(map classroom cournot learning trade)
  execute_process(COMMAND ${EXE} ${MAPS}/${map}.json 7 OUTPUT_VARIABLE a
                  RESULT_VARIABLE ra)
  execute_process(COMMAND ${EXE} ${MAPS}/${map}.json 7 OUTPUT_VARIABLE b
                  RESULT_VARIABLE rb)
  if(NOT ra EQUAL 0 OR NOT rb EQUAL 0)
    message(FATAL_ERROR "model-hash failed on ${map}")
  endif()
  if(NOT a STREQUAL b)
    message(FATAL_ERROR "hash sequences differ across processes on ${map}")
  endif()
  string(LENGTH "${a}" len)
  if(len LESS 70)
    message(FATAL_ERROR "model-hash printed too little on ${map}")
  endif()
endforeach()
execute_process(COMMAND ${EXE} ${MAPS}/classroom.json 8 OUTPUT_VARIABLE c)
execute_process(COMMAND ${EXE} ${MAPS}/classroom.json 7 OUTPUT_VARIABLE d)
if(c STREQUAL d)
  message(FATAL_ERROR "different seeds gave identical games on classroom")
endif()
