// libFuzzer target: the queue file parser on arbitrary bytes (both modes, with
// a small window so the refill path runs), and the domain rules: the fast dot
// rule must equal the regex emulation, and keys are built without crashing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "qshape.h"
#include "queue_file.h"

namespace {

// Hands out at most `chunk` bytes per read, like a file read in windows.
class ChunkedSource : public postfix_qshape::ByteSource {
 public:
  ChunkedSource(std::string_view bytes, size_t chunk)
      : bytes_(bytes), chunk_(chunk) {}
  std::string_view Read(uint64_t offset, size_t n, bool* eof) override {
    *eof = true;
    if (offset >= bytes_.size()) return {};
    copy_.assign(bytes_.substr(offset, n > chunk_ ? n : chunk_));
    *eof = offset + copy_.size() >= bytes_.size();
    return copy_;  // a copy, so stale views would be caught by ASan
  }

 private:
  std::string_view bytes_;
  size_t chunk_;
  std::string copy_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  postfix_qshape::ParseOptions opts;
  opts.max_backward_jumps = 200;
  postfix_qshape::QueueEnvelope env;
  std::string key;
  for (bool strict : {false, true}) {
    opts.strict_qshape = strict;
    postfix_qshape::ParseQueueFile(bytes, 1, opts, &env);
    postfix_qshape::ParseStatus whole = env.status;
    ChunkedSource src(bytes, 7);
    postfix_qshape::ParseQueueFile(src, 1, opts, &env);
    if (env.status != whole) std::abort();  // windowing must not matter
    for (size_t i = 0; i < env.recipient_count(); ++i)
      postfix_qshape::DomainKey(env.recipient(i), &key);
    postfix_qshape::DomainKey(env.sender, &key);
  }
  // The regex emulation is quadratic on lines; domains are at most 255
  // bytes. With a newline StripOneDot is the emulation: nothing to compare.
  if (size <= 512) {
    std::string fast(bytes), slow(bytes);
    postfix_qshape::StripOneDot(&fast);
    if (bytes.find('\n') == std::string_view::npos) {
      postfix_qshape::StripOneDotReference(&slow);
      if (fast != slow) std::abort();
    }
  }
  postfix_qshape::ValidUtf8(bytes);
  return 0;
}
