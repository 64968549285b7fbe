# Runs a program natively and under `estalogic exec` with the same arguments and stdin,
# and fails unless stdout and the exit code agree.
# -D NATIVE=... -D WASM=... -D ESTALOGIC=... [-D ARGS="a;b"] [-D INPUT=file]
set(input_args)
if(DEFINED INPUT AND NOT INPUT STREQUAL "")
  set(input_args INPUT_FILE ${INPUT})
endif()

execute_process(COMMAND ${NATIVE} ${ARGS} ${input_args}
                OUTPUT_VARIABLE native_output RESULT_VARIABLE native_result)
execute_process(COMMAND ${ESTALOGIC} exec ${WASM} ${ARGS} ${input_args}
                OUTPUT_VARIABLE wasm_output ERROR_VARIABLE wasm_error RESULT_VARIABLE wasm_result)

if(NOT native_output STREQUAL wasm_output)
  message(FATAL_ERROR "stdout differs\n--- native:\n${native_output}\n--- estalogic exec:\n"
                      "${wasm_output}\n--- estalogic stderr:\n${wasm_error}")
endif()
if(NOT native_result STREQUAL wasm_result)
  message(FATAL_ERROR "exit code differs: native ${native_result}, estalogic exec "
                      "${wasm_result}\n${wasm_error}")
endif()
message(STATUS "same output and exit code ${native_result}")
