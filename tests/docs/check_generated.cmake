# Fails when a committed, generated document differs from what the build
# generates now. Run as
#   cmake -DGEN=<program> -DARGS=<args;...> -DDOC=<committed file>
#         -DOUT=<where to write the generated text when they differ>
#         -DREGEN=<command that regenerates it> -P check_generated.cmake
execute_process(COMMAND ${GEN} ${ARGS}
                OUTPUT_VARIABLE generated
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${GEN} ${ARGS} failed with status ${rc}")
endif()
file(READ ${DOC} committed)
if(NOT generated STREQUAL committed)
  file(WRITE ${OUT} "${generated}")
  message(FATAL_ERROR
    "${DOC} is out of date: it differs from what the schema table in "
    "model/order_schema.c generates (written to ${OUT}; "
    "`diff -u ${DOC} ${OUT}` shows how). Regenerate it and "
    "commit the result:\n  ${REGEN}")
endif()
message(STATUS "${DOC} matches the generated text")
