# snmp: the pure half (no I/O but reading snmp.yml, no net-snmp): snmp.yml
# parsing, fetch planning and rendering varbinds into metric families.
# include()d by CMakeLists.txt.

pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)

add_library(snmp_lib STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/snmp_config.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/plan.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/render.cc)
target_include_directories(snmp_lib PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(snmp_lib PUBLIC
  prometheus-cpp::core yaml-cpp exporterd_sdk PkgConfig::RE2)
set_target_properties(snmp_lib PROPERTIES
  POSITION_INDEPENDENT_CODE ON
  CXX_VISIBILITY_PRESET hidden
  VISIBILITY_INLINES_HIDDEN ON)

if(EXPORTERD_BUILD_TESTS)
  enable_testing()
  find_package(GTest REQUIRED)
  include(GoogleTest)
  # tests/client_* belong to the client (client.cmake).
  add_executable(snmp_unit_tests
    ${CMAKE_CURRENT_SOURCE_DIR}/tests/snmp_config_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/tests/render_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/tests/golden_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/tests/plan_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/tests/test_util.cc)
  target_include_directories(snmp_unit_tests PRIVATE
    ${CMAKE_CURRENT_SOURCE_DIR}/tests)
  target_link_libraries(snmp_unit_tests PRIVATE
    snmp_lib GTest::gtest GTest::gtest_main)
  target_compile_definitions(snmp_unit_tests PRIVATE
    SNMP_TEST_DIR="${CMAKE_CURRENT_SOURCE_DIR}/tests"
    SNMP_UPSTREAM_DIR="${CMAKE_CURRENT_SOURCE_DIR}/tests/fixtures/upstream-0.30.1")
  gtest_discover_tests(snmp_unit_tests
    TEST_PREFIX "snmp."
    PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)

  # Not a test: times loading a snmp.yml and rendering a synthetic
  # 2,000-interface ifTable+ifXTable (44k varbinds).
  #   snmp_render_bench [snmp.yml]
  add_executable(snmp_render_bench EXCLUDE_FROM_ALL
    ${CMAKE_CURRENT_SOURCE_DIR}/tests/render_bench.cc)
  target_link_libraries(snmp_render_bench PRIVATE snmp_lib)
endif()

# libFuzzer targets (clang only):
#   CXX=clang++ cmake ... && cmake --build . --target snmp_config_fuzz
#   mkdir -p /tmp/corpus && ./snmp_config_fuzz -max_total_time=60 \
#       /tmp/corpus exporters/snmp/fuzz/seeds/config
# (libFuzzer writes new inputs into the first directory: never a seed dir)
if(CMAKE_CXX_COMPILER_ID MATCHES Clang)
  add_library(snmp_fuzz_lib STATIC EXCLUDE_FROM_ALL
    ${CMAKE_CURRENT_SOURCE_DIR}/snmp_config.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/plan.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/render.cc)
  target_include_directories(snmp_fuzz_lib PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(snmp_fuzz_lib PUBLIC
    prometheus-cpp::core yaml-cpp exporterd_sdk PkgConfig::RE2)
  target_compile_options(snmp_fuzz_lib PRIVATE
    -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined)
  foreach(_name config_fuzz render_fuzz)
    add_executable(snmp_${_name} EXCLUDE_FROM_ALL
      ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/${_name}.cc)
    target_link_libraries(snmp_${_name} PRIVATE snmp_fuzz_lib)
    target_compile_options(snmp_${_name} PRIVATE
      -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
    target_link_options(snmp_${_name} PRIVATE
      -fsanitize=fuzzer,address,undefined)
  endforeach()
endif()
