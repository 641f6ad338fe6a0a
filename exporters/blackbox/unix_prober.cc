// The unix prober: upstream's prober/unix.go (blackbox_exporter 0.28). The
// target is the path of a unix stream socket; TLS from the start when
// `tls`, then the same query_response steps as tcp (the engine in
// tcp_prober.cc, StartStreamProbe). No address resolution, hence none of
// chooseProtocol's series (probe_dns_lookup_time_seconds, probe_ip_protocol,
// probe_ip_addr_hash); once connected, probe_failed_due_to_regex,
// probe_failed_due_to_bytes, probe_expect_info and the TLS series.
//
// As upstream: the TLS server name defaults to the target path up to its
// last ':' (what Go's tls.DialWithDialer takes from the address), so a
// verified TLS over a unix socket needs tls_config.server_name; starttls
// steps have no default server name. A connect refused for permissions
// (EACCES, EPERM) says "permission denied connecting to unix socket <path>".
#include <cerrno>

#include "probe.h"
#include "query_response.h"

namespace exporterd::blackbox {
namespace {

namespace asio = boost::asio;

class UnixProber : public Prober {
 public:
  void Start(std::shared_ptr<ProbeRun> run) override {
    const UnixProbe& cfg = run->module().unix_socket;
    const std::string path = run->target();
    if (!run->module().unsupported_reason.empty()) {
      run->log().Error("Probe not supported by this build",
                       {{"err", run->module().unsupported_reason}});
      run->Fail(reason::kUnsupported);
      return run->Finish(false);
    }
    StreamProbeOptions o;
    o.proto_name = "unix";
    o.query_response = cfg.query_response;
    o.tls = cfg.tls;
    o.tls_config = cfg.tls_config;
    o.tls_server_name = path.substr(0, path.rfind(':'));
    o.dial_error = [path](const boost::system::error_code& ec) {
      std::string msg = ec.message();
      if (!msg.empty()) msg[0] = static_cast<char>(std::tolower(msg[0]));
      std::string err = "dial unix " + path + ": connect: " + msg;
      if (ec.value() == EACCES || ec.value() == EPERM)
        err =
            "permission denied connecting to unix socket " + path + ": " + err;
      return err;
    };
    asio::local::stream_protocol::endpoint ep;
    try {
      ep = asio::local::stream_protocol::endpoint(path);
    } catch (const boost::system::system_error&) {
      // Longer than sun_path (Go: "invalid argument").
      run->log().Error("Error dialing unix",
                       {{"err", "dial unix " + path + ": connect: " +
                                    std::string("invalid argument")}});
      run->Fail(reason::kTarget);
      return run->Finish(false);
    }
    if (path.empty()) {
      run->log().Error("Error dialing unix",
                       {{"err", "dial unix: missing address"}});
      run->Fail(reason::kTarget);
      return run->Finish(false);
    }
    StartStreamProbe(std::move(run), std::move(o), StreamEndpoint(ep));
  }
};

EXPORTERD_BLACKBOX_PROBER(unix, UnixProber);

}  // namespace
}  // namespace exporterd::blackbox
