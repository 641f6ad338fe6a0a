// The C++ side of a module: the types that cross the ABI (see module_abi.h)
// and EXPORTERD_MODULE(), which turns a Module subclass into the descriptor.
//
// A module implements:
//   class MyModule : public exporterd::Module {
//    public:
//     static std::unique_ptr<Module> Create(const ModuleEnv&, ConfigErrors&);
//     ...overrides...
//   };
//   EXPORTERD_MODULE(my_module, MyModule)
#ifndef EXPORTERD_MODULE_H_
#define EXPORTERD_MODULE_H_

#include <prometheus/metric_family.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporterd/config_reader.h"
#include "exporterd/log.h"
#include "exporterd/module_abi.h"

namespace boost::asio {
class io_context;
}

namespace exporterd {

using Clock = std::chrono::steady_clock;

// Event loops the core lends to modules: one thread runs each. Work on a loop
// must never block it. The loops outlive every module instance.
class EventLoops {
 public:
  virtual ~EventLoops() = default;
  virtual size_t size() const = 0;
  virtual boost::asio::io_context& Get(size_t i) = 0;
  // The loop the calling thread runs, else the next one in turn.
  virtual boost::asio::io_context& Pick() = 0;
};

// What create() gets.
struct ModuleEnv {
  std::string name;          // module name
  const YAML::Node* config;  // the module's map; null when it has no body
  std::string config_file;  // for error messages ("<embedded>" for the default)
  std::string key_path;     // "modules.<name>"
  bool embedded_default = false;  // config is the built-in default
  Logger* logger = nullptr;       // never null; lives as long as the instance
  EventLoops* loops = nullptr;    // never null; lives longer than the instance
  // The core's keys of this module (read by the core, already checked):
  // the longest a collection may take, and the background refresh period
  // (0: collect on scrape).
  std::chrono::milliseconds timeout{0};
  std::chrono::milliseconds min_interval{0};
};

// A ConfigReader over the module's own keys: `timeout` and `min_interval`
// belong to the core and are already accepted. Call Finish() when done.
inline ConfigReader ModuleConfigReader(const ModuleEnv& env,
                                       ConfigErrors& errors) {
  ConfigReader r(env.config ? *env.config : YAML::Node(), env.config_file,
                 env.key_path, &errors);
  r.Ignore("timeout");
  r.Ignore("min_interval");
  return r;
}

struct CollectRequest {
  Clock::time_point deadline;
  // Set when the host stopped waiting; long collections may give up early.
  const std::atomic<bool>* cancelled = nullptr;
};

struct CollectResult {
  bool ok = true;
  std::string error;  // why !ok, one line
  std::vector<prometheus::MetricFamily> families;
};

// A request for a multi-target route such as /probe?target=...&module=...
struct TargetRequest {
  std::string path;                                         // "/probe"
  std::vector<std::pair<std::string, std::string>> params;  // decoded query
  Clock::time_point deadline;
  bool debug = false;  // ?debug=true

  // First value of a query parameter, or empty.
  std::string Param(std::string_view key) const {
    for (const auto& [k, v] : params)
      if (k == key) return v;
    return {};
  }
};

struct TargetResponse {
  int status = 200;
  // When status != 200 or debug: the body (text/plain).
  std::string text;
  std::vector<prometheus::MetricFamily> families;
};

// One multi-target request in flight, for Module::HandleAsync(). The core
// owns it; the module keeps the shared_ptr for as long as it needs it.
class TargetCall {
 public:
  virtual ~TargetCall() = default;
  virtual const TargetRequest& request() const = 0;
  // Delivers the answer. Only the first call counts; one that comes after
  // the core stopped waiting is dropped. Any thread; never blocks.
  virtual void Reply(TargetResponse response) = 0;
  // True once the deadline passed or the client went away.
  virtual bool cancelled() const = 0;
  // `fn` runs once when the call is cancelled, on the call's loop (at once,
  // on this thread, if it already is). A Reply() from `fn` is still sent:
  // that is how partial results go out at the deadline. Replaces an earlier
  // callback.
  virtual void OnCancel(std::function<void()> fn) = 0;
  // The loop the request arrived on; HandleAsync() runs there.
  virtual boost::asio::io_context& loop() = 0;
};

// A module. Every method may throw: the core catches it, and a module that
// throws in Create(), Start() or HasCollect() shows as
// exporterd_module_up{module} 0 with the message, logged once. A class may
// also declare `static std::string ConfigReference()` (its ConfigMap's
// Reference()); tests compare it with the module's README.
class Module {
 public:
  virtual ~Module() = default;
  virtual void Start() {}
  virtual bool HasCollect() const { return false; }
  virtual CollectResult Collect(const CollectRequest&) { return {}; }
  // Routes this module serves ("/probe"). The core refuses two modules
  // claiming one route.
  virtual std::vector<std::string> Routes() const { return {}; }
  // Must be safe to call concurrently.
  virtual TargetResponse Handle(const TargetRequest&) {
    return {404, "no such route\n", {}};
  }
  // True: requests go to HandleAsync() on a core loop, which must not block.
  // False: Handle() runs on the core's handler pool, one thread per request.
  virtual bool Async() const { return false; }
  virtual void HandleAsync(std::shared_ptr<TargetCall> call) {
    call->Reply(Handle(call->request()));
  }
  virtual std::string Debug() const { return {}; }
  // Why the module has nothing to do on this host ("no queue directory
  // /var/spool/postfix"); empty when it has work.
  virtual std::string Idle() const { return {}; }
};

namespace detail {

inline std::string CurrentExceptionMessage() noexcept {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

// The noexcept trampolines behind EXPORTERD_MODULE().
template <class M>
struct Trampolines {
  static void* Create(const ModuleEnv* env, ConfigErrors* errors) noexcept {
    const size_t errors_before = errors->list.size();
    try {
      std::unique_ptr<Module> m = M::Create(*env, *errors);
      // Judged by its own errors only.
      if (errors->list.size() != errors_before) return nullptr;
      return m.release();
    } catch (...) {
      errors->Add(env->config_file, 0, env->key_path,
                  "module failed to start: " + CurrentExceptionMessage());
      return nullptr;
    }
  }
  static void Destroy(void* p) noexcept {
    try {
      delete static_cast<Module*>(p);
    } catch (...) {
    }
  }
  static int Start(void* p, std::string* error) noexcept {
    try {
      static_cast<Module*>(p)->Start();
      return 1;
    } catch (...) {
      *error = CurrentExceptionMessage();
      return 0;
    }
  }
  static int HasCollect(void* p, std::string* error) noexcept {
    try {
      return static_cast<Module*>(p)->HasCollect() ? 1 : 0;
    } catch (...) {
      *error = CurrentExceptionMessage();
      return -1;
    }
  }
  static void ConfigReference(std::string* out) noexcept {
    try {
      if constexpr (requires { M::ConfigReference(); })
        *out = M::ConfigReference();
      else
        out->clear();
    } catch (...) {
      out->clear();
    }
  }
  static void Collect(void* p, const CollectRequest* req,
                      CollectResult* out) noexcept {
    try {
      *out = static_cast<Module*>(p)->Collect(*req);
    } catch (...) {
      out->ok = false;
      out->families.clear();
      out->error = "exception: " + CurrentExceptionMessage();
    }
  }
  static const char* Routes(void* p) noexcept {
    // The returned list stays valid until the next call on this thread.
    thread_local std::string buf;
    try {
      buf.clear();
      for (const auto& r : static_cast<Module*>(p)->Routes()) {
        buf += r;
        buf.push_back('\0');
      }
      buf.push_back('\0');
      return buf.c_str();
    } catch (...) {
      return nullptr;
    }
  }
  static void Handle(void* p, const TargetRequest* req,
                     TargetResponse* out) noexcept {
    try {
      *out = static_cast<Module*>(p)->Handle(*req);
    } catch (...) {
      out->status = 500;
      out->families.clear();
      out->text = "module error: " + CurrentExceptionMessage() + "\n";
    }
  }
  static void Debug(void* p, TargetResponse* out) noexcept {
    try {
      out->text = static_cast<Module*>(p)->Debug();
    } catch (...) {
      out->text = "debug failed: " + CurrentExceptionMessage();
    }
  }
  static int Async(void* p) noexcept {
    try {
      return static_cast<Module*>(p)->Async() ? 1 : 0;
    } catch (...) {
      return 0;
    }
  }
  static void HandleAsync(void* p, std::shared_ptr<TargetCall>* call) noexcept {
    try {
      static_cast<Module*>(p)->HandleAsync(*call);
    } catch (...) {
      try {
        (*call)->Reply(
            {500, "module error: " + CurrentExceptionMessage() + "\n", {}});
      } catch (...) {
      }
    }
  }
  static void Idle(void* p, TargetResponse* out) noexcept {
    try {
      out->text = static_cast<Module*>(p)->Idle();
    } catch (...) {
      out->text.clear();
    }
  }
};

}  // namespace detail
}  // namespace exporterd

#define EXPORTERD_MODULE_WITH_BUILD_ID(NAME, CLASS, BUILD_ID) \
  extern "C" __attribute__((visibility("default")))           \
  const exporterd_module_descriptor*                          \
  exporterd_module_entry(void) {                              \
    using T = ::exporterd::detail::Trampolines<CLASS>;        \
    static const exporterd_module_descriptor d = {            \
        BUILD_ID,    EXPORTERD_STRINGIFY(NAME),               \
        &T::Create,  &T::Destroy,                             \
        &T::Start,   &T::HasCollect,                          \
        &T::Collect, &T::Routes,                              \
        &T::Handle,  &T::Debug,                               \
        &T::Async,   &T::HandleAsync,                         \
        &T::Idle,    &T::ConfigReference};                    \
    return &d;                                                \
  }

// Defines the module's entry point. NAME is a bare identifier.
#define EXPORTERD_MODULE(NAME, CLASS) \
  EXPORTERD_MODULE_WITH_BUILD_ID(NAME, CLASS, EXPORTERD_MODULE_BUILD_ID)

#endif  // EXPORTERD_MODULE_H_
