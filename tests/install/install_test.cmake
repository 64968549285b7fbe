# Installs the build tree into WORK_DIR/prefix and checks what an operator gets: the files
# where docs/OPERATIONS.md ("Install") says, the default manifest accepted by the installed
# binary, a short generated run against it that decides every event, a replay of that run
# from the installed state directory, and (when systemd-analyze exists) the unit verified.
cmake_minimum_required(VERSION 3.25)

function(fail message)
  message(FATAL_ERROR "install test: ${message}")
endfunction()

function(run_checked out_var)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err
                  TIMEOUT 240)
  if(NOT code EQUAL 0)
    string(JOIN " " command ${ARGN})
    fail("`${command}` exited ${code}\n${out}\n${err}")
  endif()
  set(${out_var} "${out}${err}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
run_checked(installed ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

set(example ${prefix}/share/estalogic/examples/esta-accrual)
foreach(file bin/estalogic include/estalogic.h include/estalogic_value.h
             share/doc/estalogic/OPERATIONS.md share/doc/estalogic/SECURITY.md
             share/doc/estalogic/README.md share/estalogic/examples/esta-accrual/app.toml
             share/estalogic/examples/esta-accrual/module/esta_accrual.wasm
             etc/estalogic/app.toml lib/systemd/system/estalogic.service
             lib/sysusers.d/estalogic.conf lib/tmpfiles.d/estalogic.conf)
  if(NOT EXISTS ${prefix}/${file})
    fail("${file} was not installed\n${installed}")
  endif()
endforeach()
foreach(dir etc/estalogic/secrets var/lib/estalogic)
  run_checked(mode stat -c %a ${prefix}/${dir})
  string(STRIP "${mode}" mode)
  if(NOT mode STREQUAL "700")
    fail("${dir} has mode ${mode}, not 700")
  endif()
endforeach()

# The default manifest is valid and names the installed module.
set(estalogic ${prefix}/bin/estalogic)
run_checked(checked ${estalogic} manifest check ${prefix}/etc/estalogic/app.toml)
if(NOT checked MATCHES "esta-accrual: manifest OK")
  fail("manifest check did not pass:\n${checked}")
endif()

# A short generated run on the installed files, the way estalogic.service starts it (with
# a generated workload instead of the ingress).
set(events 300)
set(state ${prefix}/var/lib/estalogic)
run_checked(ran ${estalogic} run ${prefix}/etc/estalogic/app.toml --generate ${events}
            --state-dir ${state} --quiet --no-http)
file(STRINGS ${state}/data/decisions.jsonl decisions)
list(LENGTH decisions decided)
if(NOT decided EQUAL events)
  fail("${decided} decisions for ${events} events\n${ran}")
endif()
run_checked(replayed ${estalogic} replay ${state})
if(NOT replayed MATCHES "OK: [0-9]+ processes replayed")
  fail("replay of the installed run did not pass:\n${replayed}")
endif()

# Installing again keeps the operator's manifest.
file(APPEND ${prefix}/etc/estalogic/app.toml "# edited by the operator\n")
run_checked(again ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
file(READ ${prefix}/etc/estalogic/app.toml manifest)
if(NOT manifest MATCHES "edited by the operator")
  fail("a second install replaced the edited app.toml")
endif()

# The unit as installed, with its binary path moved to the scratch prefix (verify checks
# that ExecStart's program exists).
file(READ ${prefix}/lib/systemd/system/estalogic.service unit)
foreach(key ExecStart= User= ProtectSystem=strict NoNewPrivileges=yes ReadWritePaths=
            ExecReload= SuccessExitStatus=130)
  string(FIND "${unit}" "${key}" at)
  if(at LESS 0)
    fail("estalogic.service has no ${key}")
  endif()
endforeach()
if(SYSTEMD_ANALYZE)
  string(REPLACE "${CONFIGURED_BINDIR}/estalogic" "${estalogic}" unit "${unit}")
  file(WRITE ${WORK_DIR}/estalogic.service "${unit}")
  execute_process(COMMAND ${SYSTEMD_ANALYZE} verify ${WORK_DIR}/estalogic.service
                  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
  if(NOT code EQUAL 0 OR err MATCHES "estalogic.service:")
    fail("systemd-analyze verify:\n${out}${err}")
  endif()
  # The user and the directories, made in a scratch root as systemd makes them at boot.
  get_filename_component(systemd_bin ${SYSTEMD_ANALYZE} DIRECTORY)
  set(root ${WORK_DIR}/root)
  file(MAKE_DIRECTORY ${root}/etc ${root}/conf)
  file(COPY_FILE ${prefix}/lib/sysusers.d/estalogic.conf ${root}/conf/sysusers.conf)
  file(COPY_FILE ${prefix}/lib/tmpfiles.d/estalogic.conf ${root}/conf/tmpfiles.conf)
  run_checked(users ${systemd_bin}/systemd-sysusers --root=${root} ${root}/conf/sysusers.conf)
  file(READ ${root}/etc/passwd passwd)
  if(NOT passwd MATCHES "estalogic:x:[0-9]+:[0-9]+:")
    fail("systemd-sysusers made no user estalogic:\n${users}\n${passwd}")
  endif()
  run_checked(dirs ${systemd_bin}/systemd-tmpfiles --root=${root} --create
              ${root}/conf/tmpfiles.conf)
  file(GLOB_RECURSE made LIST_DIRECTORIES true ${root}/*/estalogic)
  if(NOT made)
    fail("systemd-tmpfiles made no estalogic directory:\n${dirs}")
  endif()
else()
  message(STATUS "systemd-analyze not found: the unit was not verified")
endif()
message(STATUS "installed into ${prefix}: ${decided} decisions, replay OK")
