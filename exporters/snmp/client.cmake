# snmp: the I/O half. net-snmp driven from one Boost.Asio io_context
# (snmp_client.*); included by CMakeLists.txt.
pkg_check_modules(NETSNMP REQUIRED IMPORTED_TARGET netsnmp)

add_library(snmp_client_lib STATIC snmp_client.cc)
target_include_directories(snmp_client_lib PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(snmp_client_lib
  PUBLIC exporterd_sdk Boost::boost
  PRIVATE PkgConfig::NETSNMP)
set_target_properties(snmp_client_lib PROPERTIES
  POSITION_INDEPENDENT_CODE ON
  CXX_VISIBILITY_PRESET hidden
  VISIBILITY_INLINES_HIDDEN ON)

if(EXPORTERD_BUILD_TESTS)
  enable_testing()
  find_package(GTest REQUIRED)
  # Integration tests against a real snmpd each test process starts on free
  # ports in its own temp dir (tests/snmpd_env.*); snmpbulkwalk is the
  # reference for the walk comparisons.
  add_executable(snmp_client_tests
    tests/client_test.cc
    tests/client_init_test.cc
    tests/snmpd_env.cc)
  target_include_directories(snmp_client_tests PRIVATE tests)
  target_link_libraries(snmp_client_tests PRIVATE
    snmp_client_lib PkgConfig::NETSNMP GTest::gtest GTest::gtest_main
    Threads::Threads)
  target_compile_definitions(snmp_client_tests PRIVATE
    SNMP_TEST_DIR="${CMAKE_CURRENT_SOURCE_DIR}/tests")
  include(GoogleTest)
  gtest_discover_tests(snmp_client_tests
    TEST_PREFIX "snmp_client."
    PROPERTIES LABELS integration DISCOVERY_TIMEOUT 60)
endif()
