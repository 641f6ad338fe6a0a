// A thin owner of one librados cluster handle: connect with timeouts, run
// mon/mgr commands, shut down. Not thread-safe; the module uses it from its
// one worker thread.
#ifndef EXPORTERS_CEPH_RADOS_CLIENT_H_
#define EXPORTERS_CEPH_RADOS_CLIENT_H_

#include <string>

namespace ceph {

struct RadosOptions {
  std::string conf_file = "/etc/ceph/ceph.conf";
  std::string cluster = "ceph";
  std::string user = "admin";  // cephx id, without "client."
  std::string keyring;         // empty: librados' default search
  int timeout_seconds = 10;    // client_mount/rados_mon_op/rados_osd_op
};

class RadosClient {
 public:
  explicit RadosClient(RadosOptions o) : opts_(std::move(o)) {}
  ~RadosClient() { Shutdown(); }
  RadosClient(const RadosClient&) = delete;
  RadosClient& operator=(const RadosClient&) = delete;

  bool connected() const { return handle_ != nullptr; }
  // Creates, configures and connects; false with *error on failure.
  bool Connect(std::string* error);
  // Runs a JSON command; returns librados' code (< 0 is -errno). *out is
  // the output buffer, *status the status string.
  int Command(bool mgr, const std::string& json, std::string* out,
              std::string* status);
  void Shutdown();

 private:
  RadosOptions opts_;
  void* handle_ = nullptr;  // rados_t
};

}  // namespace ceph

#endif  // EXPORTERS_CEPH_RADOS_CLIENT_H_
