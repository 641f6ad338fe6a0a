// The example module's test: a temp dir, the module made from a YAML config
// the way the daemon makes it, a golden, promtool.
#include <gtest/gtest.h>

#include "example_module.h"
#include "test_kit.h"

namespace {

using exporterd::testing::Load;
using exporterd::testing::PromtoolCheckMetrics;
using exporterd::testing::Serialize;
using exporterd::testing::TempDir;

TEST(ExampleModuleTest, CountsEntries) {
  TempDir t;
  t.Write("spool/a", "x");
  t.Write("spool/b", "y");
  t.Write("spool/.hidden", "z");
  auto m = Load<example::ExampleModule>(
      "example", "modules:\n  example:\n    directories: [" + t.path() +
                     "/spool, /nonexistent]\n");
  ASSERT_TRUE(m->ok()) << m->errors.ToString();
  std::string text = Serialize(m->Collect().families);
  EXPECT_EQ(text,
            "# HELP example_directory_entries Entries in the directory.\n"
            "# TYPE example_directory_entries gauge\n"
            "example_directory_entries{directory=\"" +
                t.path() +
                "/spool\"} 2\n"
                "# HELP example_directory_up 1 if the directory could be "
                "read.\n"
                "# TYPE example_directory_up gauge\n"
                "example_directory_up{directory=\"" +
                t.path() +
                "/spool\"} 1\n"
                "example_directory_up{directory=\"/nonexistent\"} 0\n");
  EXPECT_EQ(PromtoolCheckMetrics(text), "");
}

TEST(ExampleModuleTest, BadConfigNamesFileLineAndKey) {
  auto m = Load<example::ExampleModule>(
      "example", "modules:\n  example:\n    directories: []\n    hiden: 1\n");
  EXPECT_FALSE(m->ok());
  EXPECT_NE(m->errors.ToString().find(
                "exporterd.yml:3: modules.example.directories: must name at "
                "least one directory"),
            std::string::npos)
      << m->errors.ToString();
  EXPECT_NE(m->errors.ToString().find(
                "exporterd.yml:4: modules.example.hiden: unknown key"),
            std::string::npos)
      << m->errors.ToString();
}

}  // namespace
