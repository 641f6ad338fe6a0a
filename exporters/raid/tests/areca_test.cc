#include <gtest/gtest.h>

#include <random>
#include <string>

#include "parse_areca.h"
#include "raid_model.h"
#include "raid_test_util.h"

namespace exporterd::raid {
namespace {

std::string Fixture(const std::string& name) {
  return testutil::Fixture("areca", name);
}

// Compares with tests/golden/areca/<name>.prom; UPDATE_GOLDEN=1 rewrites.
void ExpectGolden(const std::string& name, const ParseResult& r) {
  testutil::ExpectGolden("areca", name, r);
}

template <typename T>
const T* Find(const std::vector<T>& v, const std::string& id) {
  for (const auto& x : v) {
    if (x.id == id) return &x;
  }
  return nullptr;
}

struct GoldenCase {
  const char* name;
  const char* rsf;   // `rsf info` capture, or nullptr
  const char* disk;  // `disk info` capture from the same machine, or nullptr
};

const GoldenCase kGoldens[] = {
    {"checkraid-1-enclosure-hotspare",
     "checkraid-rsf-info-1-normal-minDiskCap.txt",
     "checkraid-disk-info-1-enclosure-hotspare.txt"},
    {"checkraid-2-hotspare", "checkraid-rsf-info-2-normal-diskchannels.txt",
     "checkraid-disk-info-2-hotspare.txt"},
    {"checkraid-11-initializing", "checkraid-rsf-info-11-initializing.txt",
     nullptr},
    {"checkraid-12-global-hotspare", "checkraid-rsf-info-12-normal.txt",
     "checkraid-disk-info-12-global-hotspare.txt"},
    {"checkraid-16-rebuilding-failed-disk",
     "checkraid-rsf-info-16-rebuilding.txt",
     "checkraid-disk-info-16-failed-disk.txt"},
    {"checkraid-pr72-passthrough",
     "checkraid-pr72-rsf-info-3-sets-passthrough.txt",
     "checkraid-pr72-disk-info-passthrough.txt"},
    {"checkraid-ticket40", "checkraid-ticket40-rsf-info-normal.txt",
     "checkraid-ticket40-disk-info.txt"},
};

ToolOutputs Outputs(const GoldenCase& c) {
  ToolOutputs out;
  if (c.rsf != nullptr) out["rsf"] = Fixture(c.rsf);
  if (c.disk != nullptr) out["disk"] = Fixture(c.disk);
  return out;
}

ParseResult Parse(const std::string& name) {
  for (const auto& c : kGoldens) {
    if (c.name == name) return ParseAreca(Outputs(c));
  }
  ADD_FAILURE() << name;
  return {};
}

TEST(ArecaTest, Goldens) {
  for (const auto& c : kGoldens) {
    SCOPED_TRACE(c.name);
    ParseResult r = ParseAreca(Outputs(c));
    EXPECT_TRUE(r.ok) << r.error;
    ExpectGolden(c.name, r);
  }
}

TEST(ArecaTest, Commands) {
  auto cmds = ArecaCommands();
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_EQ(cmds[0].first, "rsf");
  EXPECT_EQ(cmds[0].second, (std::vector<std::string>{"rsf", "info"}));
  EXPECT_EQ(cmds[1].first, "disk");
  EXPECT_EQ(cmds[1].second, (std::vector<std::string>{"disk", "info"}));
  EXPECT_EQ(ArecaBinaryNames()[0], "cli64");
}

TEST(ArecaTest, HealthyEnclosureLayoutWithHotSpare) {
  ParseResult r = Parse("checkraid-1-enclosure-hotspare");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.report.logical_drives.size(), 1u);
  const LogicalDrive& ld = r.report.logical_drives[0];
  EXPECT_EQ(ld.id, "Raid Set # 000");
  EXPECT_EQ(ld.state, "Normal");
  EXPECT_EQ(ld.health, Health::kOk);
  // Empty "N.A." slots are not drives.
  for (const auto& pd : r.report.physical_drives) {
    EXPECT_NE(pd.state, "N.A.");
    EXPECT_EQ(pd.health, Health::kOk) << pd.id << " " << pd.state;
  }
  const PhysicalDrive* first = Find(r.report.physical_drives, "2:1");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->model, "ST31500341AS");
  EXPECT_EQ(first->state, "Raid Set # 000");
  bool spare = false;
  for (const auto& pd : r.report.physical_drives)
    spare |= pd.state == "HotSpare";
  EXPECT_TRUE(spare);
  EXPECT_TRUE(r.report.controllers.empty());
  EXPECT_TRUE(r.report.batteries.empty());
}

TEST(ArecaTest, ChannelLayoutGlobalHotSpare) {
  ParseResult r = Parse("checkraid-12-global-hotspare");
  ASSERT_TRUE(r.ok);
  const PhysicalDrive* spare = Find(r.report.physical_drives, "16");
  ASSERT_NE(spare, nullptr);
  EXPECT_EQ(spare->state, "HotSpare[Global]");
  EXPECT_EQ(spare->model, "WDC WD7500AYYS-01RCA0");
  EXPECT_EQ(spare->health, Health::kOk);
}

TEST(ArecaTest, RebuildingWithFailedDisk) {
  ParseResult r = Parse("checkraid-16-rebuilding-failed-disk");
  ASSERT_TRUE(r.ok);
  const LogicalDrive* ld = Find(r.report.logical_drives, "data");
  ASSERT_NE(ld, nullptr);
  EXPECT_EQ(ld->state, "Rebuilding");
  EXPECT_EQ(ld->health, Health::kWarning);
  EXPECT_FALSE(ld->rebuild_progress_ratio.has_value());  // not printed
  const PhysicalDrive* failed = Find(r.report.physical_drives, "16");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->state, "Failed");
  EXPECT_EQ(failed->health, Health::kCritical);
  EXPECT_EQ(Find(r.report.physical_drives, "1")->health, Health::kOk);
}

TEST(ArecaTest, Initializing) {
  ParseResult r = Parse("checkraid-11-initializing");
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.report.logical_drives.size(), 1u);
  EXPECT_EQ(r.report.logical_drives[0].health, Health::kWarning);
}

TEST(ArecaTest, PassThroughAndThreeSets) {
  ParseResult r = Parse("checkraid-pr72-passthrough");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.report.logical_drives.size(), 3u);
  const PhysicalDrive* pt = Find(r.report.physical_drives, "2:13");
  ASSERT_NE(pt, nullptr);
  EXPECT_EQ(pt->state, "Pass Through");
  EXPECT_EQ(pt->health, Health::kOk);
  EXPECT_EQ(Find(r.report.physical_drives, "2:7")->state, "data2");
  EXPECT_EQ(Find(r.report.physical_drives, "2:7")->health, Health::kOk);
}

TEST(ArecaTest, DegradedFromAlteredCapture) {
  // No capture shows a degraded raid set: "Normal" is altered.
  std::string rsf = Fixture("checkraid-rsf-info-12-normal.txt");
  rsf.replace(rsf.find("Normal"), 6, "Degraded");
  ParseResult r = ParseAreca({{"rsf", rsf}});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.report.logical_drives[0].health, Health::kCritical);
}

TEST(ArecaTest, UsageNamingNoKnownSetIsUnknown) {
  // Without `rsf info` a raid-set name in Usage cannot be told apart from
  // an unknown state.
  ParseResult r =
      ParseAreca({{"disk", Fixture("checkraid-disk-info-2-hotspare.txt")}});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(Find(r.report.physical_drives, "1")->health, Health::kUnknown);
  EXPECT_EQ(Find(r.report.physical_drives, "13")->health,
            Health::kOk);  // HotSpare
}

TEST(ArecaTest, GarbageIsNotOk) {
  EXPECT_FALSE(ParseAreca({}).ok);
  EXPECT_FALSE(ParseAreca({{"rsf", ""}}).ok);
  EXPECT_FALSE(ParseAreca({{"rsf", "Segmentation fault\n"}}).ok);
  EXPECT_FALSE(ParseAreca({{"rsf", Fixture("checkraid-rsf-info-12-normal.txt")},
                           {"disk",
                            "\x7f"
                            "ELF"}})
                   .ok);
}

TEST(ArecaTest, TruncatedNeverCrashes) {
  for (const auto& c : kGoldens) {
    const std::string rsf = c.rsf ? Fixture(c.rsf) : "";
    const std::string disk = c.disk ? Fixture(c.disk) : "";
    for (size_t n = 0; n <= rsf.size(); ++n) {
      ParseAreca({{"rsf", rsf.substr(0, n)}, {"disk", disk}});
    }
    for (size_t n = 0; n <= disk.size(); ++n) {
      ParseAreca({{"rsf", rsf}, {"disk", disk.substr(0, n)}});
    }
  }
}

TEST(ArecaTest, RandomBytesNeverCrash) {
  std::mt19937 rng(4);
  const std::string base =
      Fixture("checkraid-disk-info-1-enclosure-hotspare.txt");
  for (int i = 0; i < 300; ++i) {
    std::string junk(rng() % 2048, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng());
    ParseAreca({{"rsf", junk}, {"disk", junk}});
    std::string mutated = base;
    for (int k = 0; k < 20; ++k) {
      mutated[rng() % mutated.size()] = static_cast<char>(rng());
    }
    ParseAreca({{"disk", mutated}});
  }
}

}  // namespace
}  // namespace exporterd::raid
