// Fixture loading for the ceph unit tests.
#ifndef EXPORTERS_CEPH_TESTS_TEST_UTIL_H_
#define EXPORTERS_CEPH_TESTS_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <string>

#include "ceph_metrics.h"
#include "test_kit.h"

namespace ceph::testing {

using exporterd::testing::ReadFile;

inline std::string Fixture(const std::string& name) {
  return ReadFile(std::string(CEPH_TEST_DIR) + "/fixtures/" + name);
}

// The whole snapshot of one captured state ("pacific_a").
inline Snapshot LoadSnapshot(const std::string& prefix) {
  Snapshot s;
  std::string err;
  EXPECT_TRUE(
      ParseOsdDump(Fixture(prefix + "_osd_dump.json"), &s.osd_dump, &err))
      << err;
  EXPECT_TRUE(ParseOsdDf(Fixture(prefix + "_osd_df.json"), &s.osd_df, &err))
      << err;
  s.has_pg_dump =
      ParsePgDumpOsds(Fixture(prefix + "_pg_dump_osds.json"), &s.pg_dump, &err);
  EXPECT_TRUE(s.has_pg_dump) << err;
  s.has_df = ParseDf(Fixture(prefix + "_df.json"), &s.df, &err);
  EXPECT_TRUE(s.has_df) << err;
  s.has_health = ParseHealthStatus(Fixture(prefix + "_health.json"),
                                   &s.health_status, &err);
  EXPECT_TRUE(s.has_health) << err;
  return s;
}

}  // namespace ceph::testing

#endif  // EXPORTERS_CEPH_TESTS_TEST_UTIL_H_
