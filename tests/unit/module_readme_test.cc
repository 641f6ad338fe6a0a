// Every module built here documents its configuration from its declaration:
// exporters/<name>/README.md carries, between <!-- config:begin --> and
// <!-- config:end -->, exactly the table the module's ConfigMap renders
// (read from the .so through the loader, as the daemon would).
// UPDATE_GOLDEN=1 rewrites the READMEs.
#include <gtest/gtest.h>

#include <filesystem>

#include "module_loader.h"
#include "test_kit.h"

namespace exporterd {
namespace {

TEST(ModuleReadmeTest, ConfigReferenceMatchesTheDeclaration) {
  int checked = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(SOURCE_DIR "/exporters")) {
    const std::string name = e.path().filename().string();
    const std::string so =
        std::string(MODULE_OUTPUT_DIR) + "/exporterd_" + name + ".so";
    if (!std::filesystem::exists(so)) continue;  // not built here
    SCOPED_TRACE(name);
    std::string err;
    auto lib = ModuleLoader::LoadPath(so, name, &err);
    ASSERT_TRUE(lib) << err;
    const std::string ref = lib->ConfigReference();
    EXPECT_FALSE(ref.empty()) << name << " declares no config keys";
    testing::ExpectReadmeReference(e.path().string() + "/README.md", ref);
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace exporterd
