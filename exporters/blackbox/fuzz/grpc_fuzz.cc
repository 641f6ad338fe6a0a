// libFuzzer: what a gRPC server answers, into the grpc prober's parsers
// (grpc_message.h). The first byte picks one, the rest is its input:
//   0  HealthCheckStatus: a framed HealthCheckResponse; one that reads
//      stops reading with a byte more (a second message)
//   1  ParseStatus: a grpc-status value; a code read prints back as itself
//   2  HealthCheckRequest's frame of the rest as the service, read back by
//      HealthCheckStatus: a request carries no status, so UNKNOWN (0)
// Never crashes. Seeds: fuzz/seeds/grpc/ (make_grpc_seeds.py).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "grpc_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace grpc = exporterd::blackbox::grpc;
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      if (grpc::HealthCheckStatus(in) &&
          grpc::HealthCheckStatus(std::string(in) + '\0'))
        abort();
      break;
    }
    case 1: {
      std::string err;
      auto code = grpc::ParseStatus(in, &err);
      if (code) {
        std::string again_err;
        auto again = grpc::ParseStatus(std::to_string(*code), &again_err);
        if (!again || *again != *code) abort();
      } else if (err.empty()) {
        abort();  // a malformed value always says why
      }
      break;
    }
    case 2:
      if (grpc::HealthCheckStatus(grpc::HealthCheckRequest(std::string(in))) !=
          std::optional<int32_t>(0))
        abort();
      break;
  }
  return 0;
}
