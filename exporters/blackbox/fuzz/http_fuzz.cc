// libFuzzer: the text parsers of the http, websocket and tcp probers that
// see a target or a server's answer. The first byte picks one, the rest is
// its input:
//   0  http_client's ParseUrl (a probe target)
//   1  websocket ParseUrl
//   2  SplitHostPort (a tcp target)
//   3  ParseTokenResponse: the first line is the Content-Type, the rest
//      the OAuth2 token endpoint's body
// Never crashes. Seeds: fuzz/seeds/http/.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http_client.h"
#include "probe.h"
#include "websocket_url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace bb = exporterd::blackbox;
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string error, host, port;
  switch (data[0] % 4) {
    case 0: {
      bb::UrlParts p;
      (void)bb::ParseUrl(std::string(in), &p, &error);
      break;
    }
    case 1:
      (void)bb::websocket::ParseUrl(in, &error);
      break;
    case 2:
      (void)bb::SplitHostPort(in, &host, &port);
      break;
    case 3: {
      const size_t nl = in.find('\n');
      const std::string_view type = in.substr(0, nl);
      const std::string_view body =
          nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
      (void)bb::ParseTokenResponse(type, body, &error);
      break;
    }
  }
  return 0;
}
