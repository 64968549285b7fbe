# Runs `estalogic exec OPTIONS WASM` and checks that it trapped the expected way: exit code
# 70 and `trap CODE:` on stderr.
# -D ESTALOGIC=... -D WASM=... -D OPTIONS="--fuel;1000" -D CODE=3003
execute_process(COMMAND ${ESTALOGIC} exec ${OPTIONS} ${WASM}
                OUTPUT_VARIABLE output ERROR_VARIABLE errors RESULT_VARIABLE result)
if(NOT result EQUAL 70)
  message(FATAL_ERROR "exit code ${result}, expected 70\n${errors}")
endif()
if(NOT errors MATCHES "trap ${CODE}: ")
  message(FATAL_ERROR "stderr lacks `trap ${CODE}:`\n${errors}")
endif()
message(STATUS "trapped with ${CODE}")
