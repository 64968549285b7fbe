# Runs estalogic and fails unless it exits with EXPECT_CODE and its stdout/stderr match the
# given regular expressions.
# -D ESTALOGIC=... -D "ARGS=manifest;check;FILE" -D EXPECT_CODE=78
# [-D EXPECT_STDOUT=regex] [-D EXPECT_STDERR=regex]
execute_process(COMMAND ${ESTALOGIC} ${ARGS}
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE code)
if(NOT code STREQUAL EXPECT_CODE)
  message(FATAL_ERROR "exit code ${code}, expected ${EXPECT_CODE}\n--- stdout:\n${out}\n"
                      "--- stderr:\n${err}")
endif()
if(DEFINED EXPECT_STDOUT AND NOT out MATCHES "${EXPECT_STDOUT}")
  message(FATAL_ERROR "stdout does not match '${EXPECT_STDOUT}':\n${out}")
endif()
if(DEFINED EXPECT_STDERR AND NOT err MATCHES "${EXPECT_STDERR}")
  message(FATAL_ERROR "stderr does not match '${EXPECT_STDERR}':\n${err}")
endif()
message(STATUS "exit ${code} as expected")
