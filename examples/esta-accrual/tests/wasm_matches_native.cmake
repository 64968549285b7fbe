# A8/T-1: the rules compiled to wasm32 decide a generated workload exactly as the native
# build does, byte for byte. Run by ctest with -DWORKLOAD, -DDECIDE, -DNODE, -DWASM, -DSCRIPT
# and -DWORK_DIR.
set(events ${WORK_DIR}/wasm-check-events.jsonl)
set(native ${WORK_DIR}/wasm-check-native.jsonl)
set(wasm ${WORK_DIR}/wasm-check-wasm.jsonl)
execute_process(COMMAND ${WORKLOAD} --seed 11 --events 40000 --employers 25
                OUTPUT_FILE ${events} RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "esta-workload failed: ${status}")
endif()
execute_process(COMMAND ${DECIDE} ${events} OUTPUT_FILE ${native} ERROR_QUIET
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "esta-decide failed: ${status}")
endif()
execute_process(COMMAND ${NODE} ${SCRIPT} ${WASM} ${events} OUTPUT_FILE ${wasm}
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "node run_wasm.mjs failed: ${status}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${native} ${wasm}
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "wasm decisions differ from native ones: diff ${native} ${wasm}")
endif()
file(STRINGS ${native} lines)
list(LENGTH lines count)
message(STATUS "${count} decisions identical in wasm32 and native")
