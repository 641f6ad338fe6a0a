// The module loader: good modules load; mismatched or foreign libraries are
// refused with a message naming the file and both build ids.
#include <gtest/gtest.h>

#include "module_loader.h"

namespace exporterd {
namespace {

std::string Path(const std::string& name) {
  return std::string(TEST_MODULE_DIR) + "/exporterd_" + name + ".so";
}

TEST(LoaderTest, LoadsGoodModule) {
  std::string err;
  auto lib = ModuleLoader::LoadPath(Path("testmod"), "testmod", &err);
  ASSERT_TRUE(lib) << err;
  EXPECT_STREQ(lib->descriptor->build_id, EXPORTERD_MODULE_BUILD_ID);
  EXPECT_STREQ(lib->descriptor->name, "testmod");
}

// The one check of module_abi.h: a module built for another release, or with
// another toolchain, is refused before any other field is read.
TEST(LoaderTest, RefusesModuleOfAnotherRelease) {
  std::string err;
  EXPECT_FALSE(ModuleLoader::LoadPath(Path("badabi"), "badabi", &err));
  EXPECT_EQ(err, Path("badabi") +
                     ": module built for \"exporterd-0.1.0/abi1/gcc-12.2.0\", "
                     "this exporterd is \"" EXPORTERD_MODULE_BUILD_ID
                     "\"; a module loads only into the exporterd it was built "
                     "with");
}

TEST(LoaderTest, RefusesOtherToolchain) {
  std::string err;
  EXPECT_FALSE(
      ModuleLoader::LoadPath(Path("broken_build_id"), "broken_build_id", &err));
  EXPECT_NE(err.find("module built for \"gcc-0.0/other-stdlib\""),
            std::string::npos)
      << err;
}

TEST(LoaderTest, RefusesLibraryWithoutEntryPoint) {
  std::string err;
  EXPECT_FALSE(ModuleLoader::LoadPath(Path("broken_no_symbol"),
                                      "broken_no_symbol", &err));
  EXPECT_EQ(err, Path("broken_no_symbol") +
                     ": not an exporterd module (no exporterd_module_entry "
                     "symbol)");
}

TEST(LoaderTest, RefusesWrongName) {
  std::string err;
  EXPECT_FALSE(ModuleLoader::LoadPath(Path("misnamed"), "misnamed", &err));
  EXPECT_EQ(err, Path("misnamed") +
                     ": declares module name \"othername\", expected "
                     "\"misnamed\"");
}

TEST(LoaderTest, SearchesDirectoriesInOrderAndCaches) {
  ModuleLoader loader({"/nonexistent", TEST_MODULE_DIR});
  std::string err;
  bool not_found = true;
  auto a = loader.Load("testmod", &err, &not_found);
  ASSERT_TRUE(a) << err;
  EXPECT_FALSE(not_found);
  EXPECT_EQ(a->path, Path("testmod"));
  EXPECT_EQ(loader.Load("testmod", &err).get(), a.get());
  EXPECT_FALSE(loader.Load("absent", &err, &not_found));
  EXPECT_TRUE(not_found);
  EXPECT_EQ(err,
            "module library exporterd_absent.so not found in "
            "/nonexistent, " TEST_MODULE_DIR);
}

TEST(LoaderTest, ExceptionsStayInsideTheModule) {
  std::string err;
  auto lib = ModuleLoader::LoadPath(Path("testmod"), "testmod", &err);
  ASSERT_TRUE(lib);
  YAML::Node body = YAML::Load("throw: true\n");
  ModuleEnv env;
  env.name = "testmod";
  env.config = &body;
  env.config_file = "x.yml";
  env.key_path = "modules.testmod";
  ConfigErrors errors;
  class NullLogger : public Logger {
    void Log(LogLevel, std::string_view, const LogFields&) noexcept override {}
  };
  auto inst =
      ModuleLoader::Create(lib, env, std::make_unique<NullLogger>(), &errors);
  ASSERT_TRUE(inst) << errors.ToString();
  CollectRequest req;
  req.deadline = Clock::now() + std::chrono::seconds(5);
  CollectResult r = inst->Collect(req);  // must not throw
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "exception: testmod was told to throw");
}

}  // namespace
}  // namespace exporterd

namespace exporterd {
namespace {

// Run from the build tree, the daemon finds build/modules beside it; the
// install directory always follows.
TEST(LoaderTest, DefaultDirsPreferModulesBesideTheBinary) {
  auto dirs = DefaultModuleDirs();
  ASSERT_FALSE(dirs.empty());
  EXPECT_EQ(dirs.back(), EXPORTERD_INSTALL_MODULE_DIR);
  std::string exe_dir = std::string(EXPORTERD_BINARY);
  exe_dir = exe_dir.substr(0, exe_dir.rfind('/'));
  // unit_tests lives beside exporterd, and so beside modules/.
  ASSERT_EQ(dirs.size(), 2u);
  EXPECT_EQ(dirs.front(), exe_dir + "/modules");
}

}  // namespace
}  // namespace exporterd
