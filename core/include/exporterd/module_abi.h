// Module ABI: the one symbol a module library exports, and the table it
// returns.
//
// A module is a shared library `exporterd_<name>.so` loaded with
// dlopen(RTLD_NOW | RTLD_LOCAL). The loader resolves EXPORTERD_MODULE_ENTRY,
// calls it, and checks, before touching any other field:
//   1. abi_version == EXPORTERD_MODULE_ABI_VERSION
//   2. struct_size >= sizeof(exporterd_module_descriptor)
//   3. build_id equals the host's (same compiler, C++ library, prometheus-cpp
//      and yaml-cpp), because C++ types from module.h cross this boundary.
// A mismatch is refused with a message naming the file and both values.
//
// Exceptions never cross: every function below is noexcept and is generated
// by EXPORTERD_MODULE() in module.h, which catches everything.
//
// OWNERSHIP: the instance returned by create() belongs to the module and is
// released only through destroy(). Results are written into host-owned
// objects passed by pointer.
//
// Bump EXPORTERD_MODULE_ABI_VERSION on any change to this file or to the
// types in module.h, config_reader.h or log.h (they cross the boundary too);
// tests/unit/abi_test.cc pins a hash of these headers.
#ifndef EXPORTERD_MODULE_ABI_H_
#define EXPORTERD_MODULE_ABI_H_

#include <cstdint>
#include <memory>

#define EXPORTERD_MODULE_ABI_VERSION 2u
#define EXPORTERD_MODULE_ENTRY "exporterd_module_entry"

#define EXPORTERD_STRINGIFY2(x) #x
#define EXPORTERD_STRINGIFY(x) EXPORTERD_STRINGIFY2(x)
// Everything that must be identical between host and module for C++ types to
// be passed by reference. Compared as a string by the loader.
#define EXPORTERD_MODULE_BUILD_ID \
  "gcc-" __VERSION__                                                          \
  "/cxx" EXPORTERD_STRINGIFY(__cplusplus) "/glibcxx-abi" EXPORTERD_STRINGIFY( \
      _GLIBCXX_USE_CXX11_ABI) "/prometheus-"                                  \
                              "cpp-" EXPORTERD_PROMETHEUS_CPP_VERSION         \
                              "/yaml-cpp-" EXPORTERD_YAML_CPP_VERSION         \
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
  uint32_t
      abi_version;  // EXPORTERD_MODULE_ABI_VERSION the module was built with
  uint32_t struct_size;  // sizeof(exporterd_module_descriptor) in the module
  const char* name;      // module name, equal to the <name> in the file name
  const char* build_id;  // EXPORTERD_MODULE_BUILD_ID in the module

  // Parses and validates the module's config and builds an instance. No I/O
  // beyond what validation needs. Returns null and appends to *errors on
  // failure.
  void* (*create)(const exporterd::ModuleEnv* env,
                  exporterd::ConfigErrors* errors) noexcept;
  void (*destroy)(void* instance) noexcept;

  // Starts background work (if any). Called once, after a config is accepted.
  void (*start)(void* instance) noexcept;

  // 1 if the instance contributes to /metrics.
  int (*has_collect)(void* instance) noexcept;
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
};

typedef const exporterd_module_descriptor* (*exporterd_module_entry_fn)(void);

}  // extern "C"

#endif  // EXPORTERD_MODULE_ABI_H_
