#include <gtest/gtest.h>

#include "raid_model.h"
#include "test_kit.h"

namespace exporterd::raid {
namespace {

std::string Text(const std::vector<ToolResult>& r) {
  return exporterd::testing::Serialize(ToFamilies(r));
}

TEST(Model, SeverityOrder) {
  EXPECT_EQ(Worse(Health::kOk, Health::kWarning), Health::kWarning);
  EXPECT_EQ(Worse(Health::kWarning, Health::kUnknown), Health::kUnknown);
  EXPECT_EQ(Worse(Health::kUnknown, Health::kCritical), Health::kCritical);
  EXPECT_EQ(Worse(Health::kCritical, Health::kUnknown), Health::kCritical);
  EXPECT_EQ(Worse(Health::kOk, Health::kOk), Health::kOk);
}

TEST(Model, NothingFoundIsHealthZero) {
  EXPECT_EQ(Text({}),
            "# HELP raid_health Worst RAID health on this host: 0 ok, 1 "
            "warning, 2 critical, 3 unknown (a tool that is down counts as "
            "unknown).\n# TYPE raid_health gauge\nraid_health 0\n");
}

TEST(Model, ToolDownCountsAsUnknown) {
  ToolResult down;
  down.tool = "storcli";
  down.error = "timed out";
  std::string t = Text({down});
  EXPECT_NE(t.find("raid_up{tool=\"storcli\"} 0\n"), std::string::npos);
  EXPECT_NE(t.find("raid_health 3\n"), std::string::npos);
}

TEST(Model, EveryFamilyAndTheRollup) {
  ToolResult r;
  r.tool = "storcli";
  r.up = true;
  Report& rep = r.report;
  rep.controllers.push_back({"0", "PERC H730", "Optimal", Health::kOk, 50.0});
  LogicalDrive ld;
  ld.controller = "0";
  ld.id = "0/0";
  ld.level = "RAID1";
  ld.state = "Rec";
  ld.health = Health::kWarning;
  ld.rebuild_progress_ratio = 0.25;
  rep.logical_drives.push_back(ld);
  PhysicalDrive pd;
  pd.controller = "0";
  pd.id = "32:1";
  pd.model = "X";
  pd.state = "Offln";
  pd.health = Health::kCritical;
  pd.media_errors = 7;
  pd.predictive_failures = 1;
  pd.temperature_celsius = 30;
  rep.physical_drives.push_back(pd);
  rep.batteries.push_back({"0", "Optimal", Health::kOk});
  ToolResult md;
  md.tool = "md";
  md.up = true;
  md.report.logical_drives.push_back(
      {"md0", "md0", "raid1", "active", Health::kUnknown, std::nullopt});
  std::string t = Text({r, md});
  for (const char* want : {
           "raid_up{tool=\"storcli\"} 1\n",
           "raid_up{tool=\"md\"} 1\n",
           "raid_controller_info{tool=\"storcli\",controller=\"0\",model="
           "\"PERC "
           "H730\",state=\"Optimal\"} 1\n",
           "raid_controller_health{tool=\"storcli\",controller=\"0\"} 0\n",
           "raid_controller_temperature_celsius{tool=\"storcli\",controller="
           "\"0\"} 50\n",
           "raid_logical_drive_info{tool=\"storcli\",controller=\"0\",drive="
           "\"0/0\",level=\"RAID1\",state=\"Rec\"} 1\n",
           "raid_logical_drive_health{tool=\"storcli\",controller=\"0\","
           "drive=\"0/0\"} 1\n",
           "raid_rebuild_progress_ratio{tool=\"storcli\",controller=\"0\","
           "drive=\"0/0\"} 0.25\n",
           "raid_physical_drive_info{tool=\"storcli\",controller=\"0\",drive="
           "\"32:1\",model=\"X\",state=\"Offln\"} 1\n",
           "raid_physical_drive_health{tool=\"storcli\",controller=\"0\","
           "drive=\"32:1\"} 2\n",
           "raid_physical_drive_media_errors{tool=\"storcli\",controller="
           "\"0\",drive=\"32:1\"} 7\n",
           "raid_physical_drive_predictive_failures{tool=\"storcli\","
           "controller=\"0\",drive=\"32:1\"} 1\n",
           "raid_physical_drive_temperature_celsius{tool=\"storcli\","
           "controller=\"0\",drive=\"32:1\"} 30\n",
           "raid_battery_info{tool=\"storcli\",controller=\"0\",state="
           "\"Optimal\"} 1\n",
           "raid_battery_health{tool=\"storcli\",controller=\"0\"} 0\n",
           "raid_logical_drive_health{tool=\"md\",controller=\"md0\",drive="
           "\"md0\"} 3\n",
           // critical outranks unknown
           "raid_health 2\n",
       }) {
    EXPECT_NE(t.find(want), std::string::npos) << want << "\n" << t;
  }
  // One HELP/TYPE per family even with two tools.
  size_t n = 0;
  for (size_t p = t.find("# TYPE raid_up "); p != std::string::npos;
       p = t.find("# TYPE raid_up ", p + 1))
    ++n;
  EXPECT_EQ(n, 1u);
}

}  // namespace
}  // namespace exporterd::raid
