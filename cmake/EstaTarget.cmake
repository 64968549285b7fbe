# Compiler flags every target shares, and esta_library(): one src/ folder = one library
# whose sources are its *.cc files and whose unit tests are the *_test.cc files beside them.

# Determinism (REQUIREMENTS T-5): no contraction of float operations, never fast-math.
set(ESTA_COMMON_FLAGS -ffp-contract=off -fno-fast-math -fno-strict-aliasing)
set(ESTA_WARNING_FLAGS -Wall -Wextra)
if(ESTA_WERROR)
  list(APPEND ESTA_WARNING_FLAGS -Werror)
endif()

if(ESTA_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # g++ 12's flow-based warnings misfire on sanitizer-instrumented code (GCC documents that
    # -fsanitize may cause false positives): seen as -Wmaybe-uninitialized on std::variant
    # moves. They stay errors in every other build, which compiles the same sources.
    list(APPEND ESTA_WARNING_FLAGS -Wno-maybe-uninitialized -Wno-array-bounds -Wno-restrict
         -Wno-stringop-overflow)
  endif()
endif()
if(ESTA_FUZZ)
  # Libraries get coverage instrumentation; only fuzz targets link libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# Precompiled headers for the heaviest third-party headers (gtest, CLI11, nlohmann/json): a
# test file spends a third of its compile time parsing gtest. Off by default: g++ 12 then
# reports its -Warray-bounds false positive on std::string concatenation inside the
# precompiled system headers (-Werror makes that fatal), and ccache cannot cache through a
# precompiled header.
option(ESTA_PCH "Precompile the heaviest third-party headers" OFF)

# esta_precompile(TARGET HEADER...): C++ sources of TARGET get HEADERs precompiled.
function(esta_precompile target)
  if(ESTA_PCH)
    foreach(header ${ARGN})
      # C++ sources only (a target may mix in C); the header's closing '>' is spelled
      # $<ANGLE-R> so that it does not end the generator expression.
      string(REGEX REPLACE ">$" "$<ANGLE-R>" header "${header}")
      target_precompile_headers(${target} PRIVATE "$<$<COMPILE_LANGUAGE:CXX>:${header}>")
    endforeach()
  endif()
endfunction()

# esta_test_flags(TARGET): what every gtest executable shares.
function(esta_test_flags target)
  esta_target_flags(${target})
  esta_precompile(${target} <gtest/gtest.h>)
  if(ESTA_SANITIZE)
    # Test code compiles at -O0 under the sanitizers: the optimiser is most of the compile
    # time of an instrumented test file (about 40% less CPU for the largest), while the code
    # under test, the libraries, keeps the preset's -O1. Both are fully instrumented.
    target_compile_options(${target} PRIVATE -O0)
  endif()
endfunction()

function(esta_target_flags target)
  target_compile_options(${target} PRIVATE ${ESTA_COMMON_FLAGS} ${ESTA_WARNING_FLAGS})
endfunction()

# esta_library(NAME DEPS <targets...> [EXTRA_SOURCES ...] [LIBS ...])
# Sources: every *.cc in the calling folder (recursively) except *_test.cc and the folders
# that are rooms of their own (a CMakeLists.txt of their own).
# Tests: every *_test.cc, linked into one <NAME>_tests executable labelled `unit`.
function(esta_library name)
  cmake_parse_arguments(ARG "" "" "DEPS;LIBS;INCLUDES" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  file(GLOB_RECURSE tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
  if(tests)
    list(REMOVE_ITEM sources ${tests})
  endif()
  list(FILTER sources EXCLUDE REGEX "/main\\.cc$")
  # A subfolder with its own CMakeLists.txt is a room of its own (its own library).
  file(GLOB_RECURSE nested_rooms ${CMAKE_CURRENT_SOURCE_DIR}/*/CMakeLists.txt)
  foreach(nested ${nested_rooms})
    get_filename_component(nested_dir ${nested} DIRECTORY)
    list(FILTER sources EXCLUDE REGEX "^${nested_dir}/")
    list(FILTER tests EXCLUDE REGEX "^${nested_dir}/")
  endforeach()
  if(NOT sources)
    # A room that so far has only headers.
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR}/src ${ARG_INCLUDES})
    target_link_libraries(${name} INTERFACE ${ARG_DEPS} ${ARG_LIBS})
  else()
    add_library(${name} STATIC ${sources})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src ${ARG_INCLUDES})
    target_link_libraries(${name} PUBLIC ${ARG_DEPS} ${ARG_LIBS})
    esta_target_flags(${name})
  endif()
  if(ESTA_TESTS AND tests)
    add_executable(${name}_tests ${tests})
    target_link_libraries(${name}_tests PRIVATE ${name} GTest::gtest GTest::gtest_main)
    esta_test_flags(${name}_tests)
    gtest_discover_tests(${name}_tests
      DISCOVERY_MODE PRE_TEST
      PROPERTIES LABELS unit ENVIRONMENT "ESTA_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  endif()
endfunction()
