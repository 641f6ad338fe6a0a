// Helpers shared by the raid tests: fixtures, golden expositions, finding
// report entries, a fake storcli64. The generic ones (ReadFile, TempDir,
// Load, Serialize, ExpectGolden, PromtoolCheckMetrics) are the test kit's.
#ifndef EXPORTERD_RAID_TESTS_RAID_TEST_UTIL_H_
#define EXPORTERD_RAID_TESTS_RAID_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "raid_model.h"
#include "test_kit.h"

namespace exporterd::raid::testutil {

using exporterd::testing::ReadFile;

// tests/fixtures/<tool>/<name>
inline std::string Fixture(const std::string& tool, const std::string& name) {
  return ReadFile(std::string(RAID_FIXTURE_DIR) + "/" + tool + "/" + name);
}

// A fake storcli64 (a shell script) answering both of the module's commands
// from real captures.
inline std::string FakeStorcli() {
  const std::string dir = std::string(RAID_FIXTURE_DIR) + "/storcli/";
  return "#!/bin/sh\n"
         "case \"$1\" in\n"
         "  /call) cat '" +
         dir +
         "promcommunity-cALL-show-all.json' ;;\n"
         "  /call/eall/sall) cat '" +
         dir +
         "promcommunity-cALL-eALL-sALL-show-all.json' ;;\n"
         "  *) echo \"unexpected arguments: $*\" >&2; exit 2 ;;\n"
         "esac\n";
}

// The exposition exactly as the daemon sends it.
inline std::string Exposition(const std::string& tool, const ParseResult& r) {
  ToolResult t;
  t.tool = tool;
  t.up = r.ok;
  t.error = r.error;
  t.report = r.report;
  return exporterd::testing::Serialize(ToFamilies({t}));
}

// Compares with tests/golden/<tool>/<name>.prom (UPDATE_GOLDEN=1
// rewrites), and checks it with promtool.
inline void ExpectGolden(const std::string& tool, const std::string& name,
                         const ParseResult& r) {
  const std::string text = Exposition(tool, r);
  exporterd::testing::ExpectGolden(
      std::string(RAID_GOLDEN_DIR) + "/" + tool + "/" + name + ".prom", text);
  EXPECT_EQ(exporterd::testing::PromtoolCheckMetrics(text), "");
}

// Replaces every occurrence of `from` (at least one must exist) with `to`.
// Used to derive states no capture shows; each use says so.
inline std::string ReplaceAll(std::string s, const std::string& from,
                              const std::string& to) {
  size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  while (pos != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos = s.find(from, pos + to.size());
  }
  return s;
}

inline std::string ReplaceFirst(std::string s, const std::string& from,
                                const std::string& to) {
  size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

inline const LogicalDrive* FindLd(const Report& r, const std::string& ctrl,
                                  const std::string& id) {
  for (const auto& d : r.logical_drives)
    if (d.controller == ctrl && d.id == id) return &d;
  return nullptr;
}

inline const PhysicalDrive* FindPd(const Report& r, const std::string& ctrl,
                                   const std::string& id) {
  for (const auto& d : r.physical_drives)
    if (d.controller == ctrl && d.id == id) return &d;
  return nullptr;
}

inline Health Rollup(const Report& r) {
  Health h = Health::kOk;
  for (const auto& c : r.controllers) h = Worse(h, c.health);
  for (const auto& d : r.logical_drives) h = Worse(h, d.health);
  for (const auto& d : r.physical_drives) h = Worse(h, d.health);
  for (const auto& b : r.batteries) h = Worse(h, b.health);
  return h;
}

// Mutations of real captures for the "never crashes" tests: every prefix
// length class, random byte flips, random splices.
template <class Fn>
void Mangle(const std::string& input, Fn fn) {
  for (size_t n = 0; n <= input.size(); n += 1 + input.size() / 97)
    fn(input.substr(0, n));
  std::mt19937 rng(42);
  for (int i = 0; i < 200 && !input.empty(); ++i) {
    std::string s = input;
    for (int k = 0; k < 8; ++k)
      s[rng() % s.size()] = static_cast<char>(rng() % 256);
    fn(s);
    size_t a = rng() % input.size(), b = rng() % input.size();
    fn(input.substr(0, std::min(a, b)) + input.substr(std::max(a, b)));
  }
}

}  // namespace exporterd::raid::testutil

#endif  // EXPORTERD_RAID_TESTS_RAID_TEST_UTIL_H_
