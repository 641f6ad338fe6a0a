// The stream engine shared by the tcp and unix probers (upstream's
// probeQueryResponses): connect a stream socket (tcp or unix), TLS from the
// start when asked, then the query_response steps (expect, expect_bytes,
// labels, send, starttls), and the series probe_failed_due_to_regex,
// probe_failed_due_to_bytes, probe_expect_info and the TLS series (no
// cipher). Implemented in tcp_prober.cc on an Asio generic stream socket,
// so both address families use the same code.
#ifndef EXPORTERD_BLACKBOX_QUERY_RESPONSE_H_
#define EXPORTERD_BLACKBOX_QUERY_RESPONSE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "probe.h"

namespace exporterd::blackbox {

using StreamEndpoint = boost::asio::generic::stream_protocol::endpoint;

struct StreamProbeOptions {
  // In the log lines: "Dialing TCP with TLS", "Error dialing unix".
  std::string proto_name = "TCP";
  std::vector<QueryResponse> query_response;
  bool tls = false;  // TLS from the start
  TlsConfig tls_config;
  // The TLS server name when tls_config.server_name is empty: for the TLS
  // from the start, and for starttls steps.
  std::string tls_server_name;
  std::string starttls_server_name;
  // Bound before connecting (tcp's source_ip_address).
  std::optional<StreamEndpoint> source;
  // The dial error's text for the log, from the connect error.
  std::function<std::string(const boost::system::error_code&)> dial_error;
};

// Connects to `ep` and runs the steps; ends the run (Finish) and installs
// its own OnAbort.
void StartStreamProbe(std::shared_ptr<ProbeRun> run, StreamProbeOptions opts,
                      const StreamEndpoint& ep);

}  // namespace exporterd::blackbox

#endif  // EXPORTERD_BLACKBOX_QUERY_RESPONSE_H_
