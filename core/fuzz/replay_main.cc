// Runs a fuzz target without libFuzzer (builds with another compiler than
// clang): every file named on the command line, and every file below each
// directory named (symlinks followed, README/SOURCES *.md skipped), is fed
// once to LLVMFuzzerTestOneInput, in name order. ctest's fuzz_seeds_<target>
// runs it on the target's seeds: a crash, a sanitizer report or an abort of
// the target fails the test; so does finding no input.
//
//   raid_md_fuzz exporters/raid/tests/fixtures/mdstat
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg(argv[i]);
    if (!fs::is_directory(arg)) {
      files.push_back(arg);
      continue;
    }
    for (const auto& e : fs::recursive_directory_iterator(
             arg, fs::directory_options::follow_directory_symlink)) {
      if (e.is_regular_file() && e.path().extension() != ".md")
        files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", f.c_str());
      return 1;
    }
    const std::string bytes{std::istreambuf_iterator<char>(in), {}};
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()),
                           bytes.size());
  }
  std::printf("%zu inputs replayed\n", files.size());
  return files.empty() ? 1 : 0;
}
