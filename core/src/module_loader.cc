#include "module_loader.h"

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <filesystem>

namespace exporterd {

ModuleInstance::ModuleInstance(std::shared_ptr<const ModuleLibrary> lib,
                               void* instance, std::unique_ptr<Logger> logger)
    : lib_(std::move(lib)), instance_(instance), logger_(std::move(logger)) {}

ModuleInstance::~ModuleInstance() { lib_->descriptor->destroy(instance_); }

std::string ModuleLibrary::ConfigReference() const {
  std::string out;
  descriptor->config_reference(&out);
  return out;
}

bool ModuleInstance::Start(std::string* error) {
  return lib_->descriptor->start(instance_, error) != 0;
}

int ModuleInstance::HasCollect(std::string* error) {
  return lib_->descriptor->has_collect(instance_, error);
}

CollectResult ModuleInstance::Collect(const CollectRequest& req) {
  CollectResult r;
  lib_->descriptor->collect(instance_, &req, &r);
  return r;
}

std::vector<std::string> ModuleInstance::Routes() {
  std::vector<std::string> out;
  const char* p = lib_->descriptor->routes(instance_);
  while (p && *p) {
    out.emplace_back(p);
    p += out.back().size() + 1;
  }
  return out;
}

TargetResponse ModuleInstance::Handle(const TargetRequest& req) {
  TargetResponse r;
  lib_->descriptor->handle(instance_, &req, &r);
  return r;
}

bool ModuleInstance::IsAsync() {
  return lib_->descriptor->is_async(instance_) != 0;
}

void ModuleInstance::HandleAsync(std::shared_ptr<TargetCall> call) {
  lib_->descriptor->handle_async(instance_, &call);
}

std::string ModuleInstance::Debug() {
  TargetResponse r;
  lib_->descriptor->debug(instance_, &r);
  return r.text;
}

std::string ModuleInstance::Idle() {
  TargetResponse r;
  lib_->descriptor->idle(instance_, &r);
  return r.text;
}

std::shared_ptr<const ModuleLibrary> ModuleLoader::LoadPath(
    const std::string& path, const std::string& expected_name,
    std::string* error) {
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!h) {
    const char* e = dlerror();
    *error = "cannot load " + path + ": " + (e ? e : "unknown error");
    return nullptr;
  }
  auto entry = reinterpret_cast<exporterd_module_entry_fn>(
      dlsym(h, EXPORTERD_MODULE_ENTRY));
  if (!entry) {
    *error = path + ": not an exporterd module (no " EXPORTERD_MODULE_ENTRY
                    " symbol)";
    dlclose(h);
    return nullptr;
  }
  const exporterd_module_descriptor* d = entry();
  if (!d) {
    *error = path + ": " EXPORTERD_MODULE_ENTRY " returned no descriptor";
    dlclose(h);
    return nullptr;
  }
  // The one check (module_abi.h): the same exporterd build, else nothing
  // else in the descriptor is read.
  if (!d->build_id ||
      std::strcmp(d->build_id, EXPORTERD_MODULE_BUILD_ID) != 0) {
    *error = path + ": module built for \"" +
             std::string(d->build_id ? d->build_id : "?") +
             "\", this exporterd is \"" EXPORTERD_MODULE_BUILD_ID
             "\"; a module loads only into the exporterd it was built with";
    dlclose(h);
    return nullptr;
  }
  if (!d->name || expected_name != d->name) {
    *error = path + ": declares module name \"" +
             std::string(d->name ? d->name : "") + "\", expected \"" +
             expected_name + "\"";
    dlclose(h);
    return nullptr;
  }
  if (!d->create || !d->destroy || !d->start || !d->has_collect ||
      !d->collect || !d->routes || !d->handle || !d->debug || !d->is_async ||
      !d->handle_async || !d->idle || !d->config_reference) {
    *error = path + ": module descriptor has null entries";
    dlclose(h);
    return nullptr;
  }
  auto lib = std::make_shared<ModuleLibrary>();
  lib->name = expected_name;
  lib->path = path;
  lib->descriptor = d;
  return lib;
}

std::shared_ptr<const ModuleLibrary> ModuleLoader::Load(const std::string& name,
                                                        std::string* error,
                                                        bool* not_found) {
  std::lock_guard<std::mutex> lock(mu_);
  if (not_found) *not_found = false;
  auto it = loaded_.find(name);
  if (it != loaded_.end()) return it->second;
  const std::string file = "exporterd_" + name + ".so";
  for (const auto& dir : dirs_) {
    std::string path = dir + "/" + file;
    struct stat st;
    if (stat(path.c_str(), &st) != 0) continue;
    auto lib = LoadPath(path, name, error);
    if (lib) loaded_[name] = lib;
    return lib;
  }
  std::string searched;
  for (const auto& d : dirs_) searched += (searched.empty() ? "" : ", ") + d;
  *error = "module library " + file + " not found in " +
           (searched.empty() ? "(no module directory)" : searched);
  if (not_found) *not_found = true;
  return nullptr;
}

std::unique_ptr<ModuleInstance> ModuleLoader::Create(
    std::shared_ptr<const ModuleLibrary> lib, const ModuleEnv& env,
    std::unique_ptr<Logger> logger, ConfigErrors* errors) {
  ModuleEnv e = env;
  e.logger = logger.get();
  size_t before = errors->list.size();
  void* inst = lib->descriptor->create(&e, errors);
  if (!inst) {
    if (errors->list.size() == before)
      errors->Add(env.config_file, 0, env.key_path,
                  "module refused its config");
    return nullptr;
  }
  return std::make_unique<ModuleInstance>(std::move(lib), inst,
                                          std::move(logger));
}

std::vector<std::string> DefaultModuleDirs() {
  std::vector<std::string> dirs;
  auto is_dir = [](const std::string& d) {
    struct stat st;
    return stat(d.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  };
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    std::string exe(buf, static_cast<size_t>(n));
    std::string exe_dir = exe.substr(0, exe.rfind('/'));
    // A build tree: modules/ beside the binary.
    if (is_dir(exe_dir + "/modules")) dirs.push_back(exe_dir + "/modules");
    // An installed tree anywhere (a package unpacked under another root):
    // <prefix>/bin/exporterd next to <prefix>/<libdir>/exporterd.
    std::string rel =
        std::filesystem::path(exe_dir + "/" + EXPORTERD_RELATIVE_MODULE_DIR)
            .lexically_normal()
            .string();
    if (rel != EXPORTERD_INSTALL_MODULE_DIR && is_dir(rel)) dirs.push_back(rel);
  }
  dirs.push_back(EXPORTERD_INSTALL_MODULE_DIR);
  return dirs;
}

}  // namespace exporterd
