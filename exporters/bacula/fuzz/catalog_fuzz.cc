// libFuzzer target: what a catalog answers, into CatalogReader (a full read,
// then a delta read on the same reader) and the metric builder. The input is
// the rows of each SELECT in the order Read() asks them (catalog_answers.h);
// a read that runs out of answers fails and must say why. A read that
// succeeds must give every waiting reason and every volume status of each
// pool, and a snapshot the builder turns into a valid exposition.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "catalog_answers.h"
#include "catalog_reader.h"
#include "exporterd/text_format.h"
#include "metrics.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bacula::fuzz::AnswerSession session(bacula::fuzz::DecodeAnswers(
      std::string_view(reinterpret_cast<const char*>(data), size)));
  bacula::CatalogReader reader(/*full_every_seconds=*/600);
  bacula::ReadOptions opts;
  opts.now = 1700000000;  // the unit tests' scrape time
  opts.lookback_seconds = 31 * 86400;
  opts.keep_job = [](const std::string& name) {
    return name.rfind("Skip", 0) != 0;
  };
  for (int pass = 0; pass < 2; ++pass, opts.now += 60) {
    bacula::Snapshot snap;
    std::string error;
    if (!reader.Read(session, opts, &snap, &error)) {
      if (error.empty()) std::abort();
      break;
    }
    if (snap.waiting.size() < bacula::WaitingReasons().size()) std::abort();
    for (const auto& [pool, vols] : snap.pool_volumes)
      for (const std::string& s : bacula::VolumeStatuses())
        if (vols.count(s) == 0) std::abort();
    (void)exporterd::Serialize(bacula::BuildFamilies(snap));
  }
  return 0;
}
