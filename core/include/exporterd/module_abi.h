// Module ABI: the one symbol a module library exports, and the table it
// returns.
//
// A module is a shared library `exporterd_<name>.so` loaded with
// dlopen(RTLD_NOW | RTLD_LOCAL). The loader resolves EXPORTERD_MODULE_ENTRY,
// calls it, and compares the descriptor's first field, build_id, with its
// own before touching anything else.
//
// ONE RULE: a module loads only into the exporterd it was built with. C++
// types (module.h, config_reader.h, log.h, prometheus-cpp, yaml-cpp, Asio)
// cross this boundary by reference, so "compatible" can only mean "built
// from the same exporterd release with the same toolchain and libraries".
// build_id says exactly that: exporterd's version and this ABI's number, the
// compiler, the C++ library ABI, and the prometheus-cpp, yaml-cpp and Boost
// versions. The loader refuses any other build id with a message naming the
// file and both ids. The Debian packages state the same rule once more
// (exporterd-<module> depends on exactly its exporterd version). build_id is
// the first field and stays first in every version, so any module, however
// old, is refused cleanly.
//
// Bump EXPORTERD_MODULE_ABI_VERSION when this file or the types in module.h,
// config_reader.h or log.h change between two builds of one release
// (developers' trees); releases change the version anyway.
//
// Exceptions never cross: every function below is noexcept and is generated
// by EXPORTERD_MODULE() in module.h, which catches everything.
//
// OWNERSHIP: the instance returned by create() belongs to the module and is
// released only through destroy(). Results are written into host-owned
// objects passed by pointer.
#ifndef EXPORTERD_MODULE_ABI_H_
#define EXPORTERD_MODULE_ABI_H_

#include <cstdint>
#include <memory>
#include <string>

#define EXPORTERD_MODULE_ABI_VERSION 4
#define EXPORTERD_MODULE_ENTRY "exporterd_module_entry"

#define EXPORTERD_STRINGIFY2(x) #x
#define EXPORTERD_STRINGIFY(x) EXPORTERD_STRINGIFY2(x)
// Everything that must be identical between host and module for C++ types to
// be passed by reference. Compared as a string by the loader.
#define EXPORTERD_MODULE_BUILD_ID \
  "exporterd-" EXPORTERD_SDK_VERSION "/abi" EXPORTERD_STRINGIFY(     \
      EXPORTERD_MODULE_ABI_VERSION) "/gcc-" __VERSION__              \
      "/cxx" EXPORTERD_STRINGIFY(__cplusplus) "/glibcxx-abi"         \
      EXPORTERD_STRINGIFY(_GLIBCXX_USE_CXX11_ABI)                    \
      "/prometheus-cpp-" EXPORTERD_PROMETHEUS_CPP_VERSION            \
      "/yaml-cpp-" EXPORTERD_YAML_CPP_VERSION                        \
      "/boost-" EXPORTERD_BOOST_VERSION

namespace exporterd {
struct ModuleEnv;
struct ConfigErrors;
struct CollectRequest;
struct CollectResult;
struct TargetRequest;
struct TargetResponse;
class TargetCall;
}  // namespace exporterd

extern "C" {

struct exporterd_module_descriptor {
  const char* build_id;  // EXPORTERD_MODULE_BUILD_ID in the module; first
  const char* name;      // module name, equal to the <name> in the file name

  // Parses and validates the module's config and builds an instance. No I/O
  // beyond what validation needs. Returns null and appends to *errors on
  // failure.
  void* (*create)(const exporterd::ModuleEnv* env,
                  exporterd::ConfigErrors* errors) noexcept;
  void (*destroy)(void* instance) noexcept;

  // Starts background work (if any). Called once, after a config is
  // accepted. Returns 0 and sets *error when the module cannot work: the core
  // shows it as exporterd_module_up 0 with the reason.
  int (*start)(void* instance, std::string* error) noexcept;

  // 1 if the instance contributes to /metrics, 0 if not; -1 with *error set
  // when the module failed to tell.
  int (*has_collect)(void* instance, std::string* error) noexcept;
  // Collects for /metrics. Never called concurrently for one instance.
  void (*collect)(void* instance, const exporterd::CollectRequest* request,
                  exporterd::CollectResult* result) noexcept;

  // Multi-target routes ("/probe", ...), NUL-separated, ending with an empty
  // string; may be null. handle() may be called concurrently.
  const char* (*routes)(void* instance) noexcept;
  void (*handle)(void* instance, const exporterd::TargetRequest* request,
                 exporterd::TargetResponse* response) noexcept;

  // Human-readable state for the landing page and ?debug=true.
  void (*debug)(void* instance, exporterd::TargetResponse* response) noexcept;

  // 1 if handle_async() serves the routes: it is called on a core event loop
  // (see EventLoops in module.h), must not block, and answers through
  // (*call)->Reply() exactly once, from any thread. The module may keep a
  // copy of *call. 0: handle() runs on the core's handler pool.
  int (*is_async)(void* instance) noexcept;
  void (*handle_async)(void* instance,
                       std::shared_ptr<exporterd::TargetCall>* call) noexcept;
  // Why the instance has nothing to do on this host (landing page), into
  // response->text; empty when it has work.
  void (*idle)(void* instance, exporterd::TargetResponse* response) noexcept;
  // The module's config reference (the markdown table its README carries);
  // empty when it declares none. Needs no instance.
  void (*config_reference)(std::string* out) noexcept;
};

typedef const exporterd_module_descriptor* (*exporterd_module_entry_fn)(void);

}  // extern "C"

#endif  // EXPORTERD_MODULE_ABI_H_
