# Runs one golden program under `estalogic exec --deterministic --digest` and compares the
# digest with the committed one. With ESTA_UPDATE_GOLDEN=1 in the environment it rewrites
# the committed digest instead (after a deliberate change to fuel costs or the programs).
# -D ESTALOGIC=... -D WASM=... -D EXPECTED=... -D ACTUAL=... [-D ARGS="a;b"] [-D INPUT=file]
set(input_args)
if(DEFINED INPUT AND NOT INPUT STREQUAL "")
  set(input_args INPUT_FILE ${INPUT})
endif()
file(REMOVE ${ACTUAL})
execute_process(COMMAND ${ESTALOGIC} exec --deterministic --digest ${ACTUAL} ${WASM} ${ARGS}
                ${input_args}
                OUTPUT_VARIABLE output ERROR_VARIABLE errors RESULT_VARIABLE result)
if(NOT EXISTS ${ACTUAL})
  message(FATAL_ERROR "no digest written (exit ${result})\n${errors}")
endif()
file(READ ${ACTUAL} actual)

if("$ENV{ESTA_UPDATE_GOLDEN}" STREQUAL "1")
  file(WRITE ${EXPECTED} "${actual}")
  message(STATUS "updated ${EXPECTED}")
  return()
endif()

file(READ ${EXPECTED} expected)
if(NOT actual STREQUAL expected)
  message(FATAL_ERROR "digest differs from ${EXPECTED}\n--- expected:\n${expected}--- actual:\n"
                      "${actual}--- stdout:\n${output}--- stderr:\n${errors}")
endif()
message(STATUS "digest matches (exit ${result})")
