// ModuleSlot: a failing module is logged once per change, not per scrape.
#include "collector.h"

#include <gtest/gtest.h>

#include <mutex>

#include "module_loader.h"

namespace exporterd {
namespace {

class CapturingLogger : public Logger {
 public:
  void Log(LogLevel, std::string_view msg,
           const LogFields& fields) noexcept override {
    std::lock_guard<std::mutex> lock(mu_);
    std::string line(msg);
    for (const auto& [k, v] : fields) line += " " + k + "=" + v;
    lines_.push_back(line);
  }
  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

std::shared_ptr<ModuleSlot> MakeSlot(const std::string& yaml, Logger* logger,
                                     YAML::Node* keep) {
  std::string err;
  auto lib = ModuleLoader::LoadPath(
      std::string(TEST_MODULE_DIR) + "/exporterd_testmod.so", "testmod", &err);
  EXPECT_TRUE(lib) << err;
  *keep = YAML::Load(yaml);
  ModuleEnv env;
  env.name = "testmod";
  env.config = keep;
  env.config_file = "t.yml";
  env.key_path = "modules.testmod";
  ConfigErrors errors;
  auto inst = ModuleLoader::Create(
      lib, env, std::make_unique<CapturingLogger>(), &errors);
  EXPECT_TRUE(inst) << errors.ToString();
  return std::make_shared<ModuleSlot>(std::move(inst), std::chrono::seconds(5),
                                      std::chrono::milliseconds(0), logger);
}

TEST(ModuleSlotTest, LogsFailureOncePerChange) {
  CapturingLogger log;
  YAML::Node cfg;
  auto slot = MakeSlot("fail: broken pipe\n", &log, &cfg);
  slot->Start();
  for (int i = 0; i < 5; ++i) {
    ModuleOutcome o = slot->Collect(Clock::now() + std::chrono::seconds(5));
    EXPECT_FALSE(o.up);
    EXPECT_EQ(o.reason, "error");
    EXPECT_EQ(o.error, "broken pipe");
  }
  auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "module down module=testmod reason=error err=broken pipe");
  slot->Stop();
}

TEST(ModuleSlotTest, SuccessfulOutcomeCarriesFamilies) {
  CapturingLogger log;
  YAML::Node cfg;
  auto slot = MakeSlot("series: 4\n", &log, &cfg);
  slot->Start();
  ModuleOutcome o = slot->Collect(Clock::now() + std::chrono::seconds(5));
  ASSERT_TRUE(o.up);
  ASSERT_TRUE(o.families);
  ASSERT_EQ(o.families->size(), 3u);
  EXPECT_EQ((*o.families)[0].metric.size(), 4u);
  EXPECT_GT(o.last_success_unix, 0);
  EXPECT_TRUE(log.lines().empty());
  slot->Stop();
}

}  // namespace
}  // namespace exporterd
