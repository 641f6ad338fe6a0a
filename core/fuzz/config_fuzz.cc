// libFuzzer target: the configuration path. The input is a file's content,
// given to ParseConfig (exporterd.yml), to LoadWebConfig (--web.config.file:
// written to a file in /dev/shm first, as the loader only reads files), and
// to ParseDuration as one string; a parsed duration must format back to
// itself.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config.h"
#include "exporterd/config_reader.h"
#include "web_config.h"

namespace {

// A file of this process's own, removed at exit.
const std::string& WebConfigPath() {
  static const std::string* path = [] {
    auto* p = new std::string("/dev/shm/exporterd-config-fuzz-" +
                              std::to_string(getpid()) + ".yml");
    std::atexit([] { unlink(WebConfigPath().c_str()); });
    return p;
  }();
  return *path;
}

bool WriteFile(const std::string& path, const uint8_t* data, size_t size) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = true;
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n <= 0) {
      ok = false;
      break;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  close(fd);
  return ok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  exporterd::ConfigErrors errors;
  (void)exporterd::ParseConfig(text, "fuzz.yml", &errors);
  (void)errors.ToString();

  if (!WriteFile(WebConfigPath(), data, size)) abort();
  exporterd::ConfigErrors web_errors;
  (void)exporterd::LoadWebConfig(WebConfigPath(), &web_errors);
  (void)web_errors.ToString();

  if (auto d = exporterd::ParseDuration(text)) {
    const std::string back = exporterd::FormatDuration(*d);
    auto again = exporterd::ParseDuration(back);
    if (!again || *again != *d) abort();  // "1m30s" must read back as itself
  }
  return 0;
}
