# A8/V-2: `esta-decide --engine kernel` (the module under the kernel) decides a generated
# workload exactly as `esta-decide` (the native rules) does, and every kernel decision names
# the module's SHA-256. Run by ctest with -DWORKLOAD, -DDECIDE and -DWORK_DIR.
set(events ${WORK_DIR}/kernel-check-events.jsonl)
set(native ${WORK_DIR}/kernel-check-native.jsonl)
set(kernel ${WORK_DIR}/kernel-check-kernel.jsonl)
execute_process(COMMAND ${WORKLOAD} --seed 5 --events 5000 --employers 10
                OUTPUT_FILE ${events} RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "esta-workload failed: ${status}")
endif()
foreach(engine native kernel)
  execute_process(COMMAND ${DECIDE} --engine ${engine} ${events} OUTPUT_FILE ${${engine}}
                  ERROR_VARIABLE summary RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "esta-decide --engine ${engine} failed: ${status}\n${summary}")
  endif()
endforeach()
# Every kernel decision ends with the module's hash; without it, the lines are the native ones.
file(READ ${kernel} kernel_text)
string(REGEX MATCHALL ",\"module_sha256\":\"[0-9a-f]+\"}\n" hashes "${kernel_text}")
list(LENGTH hashes hashed)
if(NOT hashed EQUAL 5000)
  message(FATAL_ERROR "${hashed} of 5000 kernel decisions carry module_sha256")
endif()
string(REGEX REPLACE ",\"module_sha256\":\"[0-9a-f]+\"}\n" "}\n" stripped "${kernel_text}")
file(WRITE ${kernel}.stripped "${stripped}")
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${native} ${kernel}.stripped
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "kernel decisions differ from native ones: diff ${native} ${kernel}")
endif()
message(STATUS "5000 decisions identical under the kernel and native")
