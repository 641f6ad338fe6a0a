#include "rados_client.h"

#include <rados/librados.h>

#include <cerrno>
#include <cstring>

namespace ceph {

bool RadosClient::Connect(std::string* error) {
  Shutdown();
  rados_t c = nullptr;
  const std::string name = "client." + opts_.user;
  int r = rados_create2(&c, opts_.cluster.c_str(), name.c_str(), 0);
  if (r < 0) {
    *error = "rados_create2: " + std::string(std::strerror(-r));
    return false;
  }
  r = rados_conf_read_file(c, opts_.conf_file.c_str());
  if (r < 0) {
    *error = "reading " + opts_.conf_file + ": " + std::strerror(-r);
    rados_shutdown(c);
    return false;
  }
  if (!opts_.keyring.empty() &&
      (r = rados_conf_set(c, "keyring", opts_.keyring.c_str())) < 0) {
    *error = "setting keyring: " + std::string(std::strerror(-r));
    rados_shutdown(c);
    return false;
  }
  const std::string t = std::to_string(opts_.timeout_seconds);
  for (const char* opt :
       {"client_mount_timeout", "rados_mon_op_timeout", "rados_osd_op_timeout"})
    rados_conf_set(c, opt, t.c_str());
  r = rados_connect(c);
  if (r < 0) {
    *error = "connecting to " + opts_.cluster + " as " + name + ": " +
             std::strerror(-r);
    rados_shutdown(c);
    return false;
  }
  handle_ = c;
  return true;
}

int RadosClient::Command(bool mgr, const std::string& json, std::string* out,
                         std::string* status) {
  if (!handle_) return -ENOTCONN;
  const char* cmd[] = {json.c_str()};
  char* outbuf = nullptr;
  char* outs = nullptr;
  size_t outbuf_len = 0, outs_len = 0;
  rados_t c = static_cast<rados_t>(handle_);
  int r = mgr ? rados_mgr_command(c, cmd, 1, "", 0, &outbuf, &outbuf_len, &outs,
                                  &outs_len)
              : rados_mon_command(c, cmd, 1, "", 0, &outbuf, &outbuf_len, &outs,
                                  &outs_len);
  out->assign(outbuf ? outbuf : "", outbuf ? outbuf_len : 0);  // no NUL
  status->assign(outs ? outs : "", outs ? outs_len : 0);
  if (outbuf) rados_buffer_free(outbuf);
  if (outs) rados_buffer_free(outs);
  return r;
}

void RadosClient::Shutdown() {
  if (handle_) rados_shutdown(static_cast<rados_t>(handle_));
  handle_ = nullptr;
}

}  // namespace ceph
