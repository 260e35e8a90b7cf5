# Warnings are ours to fix, so -Werror applies to our targets only, never globally.
function(gk_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor)
  # GCC 12 misreads Boost.Asio's coroutine frame allocator (awaitable_frame_base's sized
  # operator delete) as a new/delete mismatch: a known false positive, not our code.
  target_compile_options(${target} PRIVATE $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>)
endfunction()

# gk_library(NAME ALIAS gk::name SOURCES ... DEPS ...): one library target per folder,
# public headers under include/, warnings private.
function(gk_library name)
  cmake_parse_arguments(ARG "" "ALIAS" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  add_library(${ARG_ALIAS} ALIAS ${name})
  target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  gk_warnings(${name})
endfunction()

# gk_test(NAME SOURCES ... DEPS ... LABELS ...): a Catch2 executable registered as one CTest
# test, labelled by area so that one area runs alone (ctest -L nfc). (Catch 2.13's
# catch_discover_tests cannot carry list-valued properties such as several labels.)
function(gk_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} gk_test_main)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  gk_warnings(${name})
  add_test(NAME ${name} COMMAND ${name} --use-colour no WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "GK_SOURCE_DIR=${CMAKE_SOURCE_DIR};GK_BIN_DIR=${CMAKE_BINARY_DIR}/bin")
endfunction()

# Adds each listed folder that has a CMakeLists.txt (lets areas land one at a time).
macro(gk_subdirs)
  foreach(dir ${ARGN})
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/CMakeLists.txt)
      add_subdirectory(${dir})
    endif()
  endforeach()
endmacro()
