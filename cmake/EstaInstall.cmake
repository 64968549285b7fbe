# `cmake --install` (docs/OPERATIONS.md, "Install"): the binary, the C SDK's headers, the
# docs, the ESTA example with its built module, a default manifest, the node's directories
# and the systemd files. Directories follow GNUInstallDirs; a packager building for /usr
# sets -DCMAKE_INSTALL_PREFIX=/usr and gets /etc and /var (GNUInstallDirs' FULL_ forms),
# everyone else gets PREFIX/etc and PREFIX/var, which an install-time --prefix moves too.
include(GNUInstallDirs)

# A destination: relative (under the install-time prefix) when the configured full path
# lies under the configured prefix, else the absolute full path (/etc for prefix /usr).
function(esta_install_destination out relative full)
  if(IS_ABSOLUTE "${relative}")
    set(${out} "${relative}" PARENT_SCOPE)
    return()
  endif()
  string(FIND "${full}" "${CMAKE_INSTALL_PREFIX}/" at)
  if(at EQUAL 0)
    set(${out} "${relative}" PARENT_SCOPE)
  else()
    set(${out} "${full}" PARENT_SCOPE)
  endif()
endfunction()

esta_install_destination(ESTA_CONF_DEST "${CMAKE_INSTALL_SYSCONFDIR}/estalogic"
                         "${CMAKE_INSTALL_FULL_SYSCONFDIR}/estalogic")
esta_install_destination(ESTA_STATE_DEST "${CMAKE_INSTALL_LOCALSTATEDIR}/lib/estalogic"
                         "${CMAKE_INSTALL_FULL_LOCALSTATEDIR}/lib/estalogic")
set(ESTA_EXAMPLE_DEST "${CMAKE_INSTALL_DATADIR}/estalogic/examples/esta-accrual")
set(ESTA_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING
    "Where estalogic.service goes (relative: under the prefix)")

# The paths the systemd files name, as the configured prefix makes them.
set(ESTA_FULL_BINDIR "${CMAKE_INSTALL_FULL_BINDIR}")
set(ESTA_FULL_DOCDIR "${CMAKE_INSTALL_FULL_DATADIR}/doc/estalogic")
set(ESTA_FULL_CONFDIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/estalogic")
set(ESTA_FULL_STATEDIR "${CMAKE_INSTALL_FULL_LOCALSTATEDIR}/lib/estalogic")

install(TARGETS estalogic RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

file(GLOB ESTA_SDK_HEADERS ${PROJECT_SOURCE_DIR}/sdk/c/*.h)
install(FILES ${ESTA_SDK_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

file(GLOB ESTA_DOCS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${ESTA_DOCS}
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/estalogic)
install(FILES ${PROJECT_SOURCE_DIR}/sdk/c/README.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/estalogic RENAME SDK-C.md)

set(ESTA_EXAMPLE_SOURCE ${PROJECT_SOURCE_DIR}/examples/esta-accrual)
install(FILES ${ESTA_EXAMPLE_SOURCE}/app.toml ${ESTA_EXAMPLE_SOURCE}/app-services.toml
              ${ESTA_EXAMPLE_SOURCE}/README.md DESTINATION ${ESTA_EXAMPLE_DEST})
install(FILES ${ESTA_EXAMPLE_SOURCE}/data/golden-sample.jsonl
        DESTINATION ${ESTA_EXAMPLE_DEST}/data)
# The module is a build product (clang-14 and wasm-ld-14); without them there is none to
# install and the default manifest names a file that is not there.
if(TARGET esta_accrual_module)
  install(FILES ${PROJECT_BINARY_DIR}/examples/esta-accrual/module/esta_accrual.wasm
          DESTINATION ${ESTA_EXAMPLE_DEST}/module)
endif()

# The node's directories: state (journal, module store, audit log) and secrets, 0700.
install(DIRECTORY DESTINATION ${ESTA_STATE_DEST}
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
install(DIRECTORY DESTINATION ${ESTA_CONF_DEST}/secrets
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)

# The default manifest names the installed example module and state directory, as the
# install-time prefix puts them; an existing one (edited by its operator) is kept.
install(CODE "
  set(esta_conf \"${ESTA_CONF_DEST}\")
  set(esta_state \"${ESTA_STATE_DEST}\")
  foreach(esta_dir esta_conf esta_state)
    if(NOT IS_ABSOLUTE \"\${\${esta_dir}}\")
      set(\${esta_dir} \"\${CMAKE_INSTALL_PREFIX}/\${\${esta_dir}}\")
    endif()
  endforeach()
  set(CONF \"\${esta_conf}\")
  set(STATE \"\${esta_state}\")
  set(EXAMPLE \"\${CMAKE_INSTALL_PREFIX}/${ESTA_EXAMPLE_DEST}\")
  set(esta_target \"\$ENV{DESTDIR}\${esta_conf}/app.toml\")
  if(EXISTS \"\${esta_target}\")
    message(STATUS \"Kept: \${esta_target}\")
  else()
    message(STATUS \"Installing: \${esta_target}\")
    configure_file(\"${PROJECT_SOURCE_DIR}/packaging/app.toml.in\" \"\${esta_target}\" @ONLY)
    file(CHMOD \"\${esta_target}\" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
  endif()
")

configure_file(${PROJECT_SOURCE_DIR}/packaging/systemd/estalogic.service.in
               ${PROJECT_BINARY_DIR}/packaging/estalogic.service @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/packaging/systemd/estalogic.sysusers.in
               ${PROJECT_BINARY_DIR}/packaging/sysusers.d/estalogic.conf @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/packaging/systemd/estalogic.tmpfiles.in
               ${PROJECT_BINARY_DIR}/packaging/tmpfiles.d/estalogic.conf @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/packaging/estalogic.service
        DESTINATION ${ESTA_SYSTEMD_UNIT_DIR})
install(FILES ${PROJECT_BINARY_DIR}/packaging/sysusers.d/estalogic.conf
        DESTINATION lib/sysusers.d)
install(FILES ${PROJECT_BINARY_DIR}/packaging/tmpfiles.d/estalogic.conf
        DESTINATION lib/tmpfiles.d)
