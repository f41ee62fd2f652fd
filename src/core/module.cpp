#include "core/module.hpp"

#include "build_info.hpp"
#include "core/error.hpp"

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <dlfcn.h>

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

struct DlClose
{
  void operator()(void* handle) const { dlclose(handle); }
};
using ModuleHandle = std::unique_ptr<void, DlClose>;

std::vector<fs::path> module_dirs()
{
  std::vector<fs::path> dirs;
  if (const char* dir = std::getenv("MDIVICOM_MODULE_DIR"); dir != nullptr && *dir != '\0') {
    dirs.emplace_back(dir);
  }
  std::error_code error;
  fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    dirs.push_back(exe.parent_path().parent_path() / build_info::k_install_libdir / "mdivicom");
  }
  dirs.emplace_back(build_info::k_module_build_dir);
  return dirs;
}

ModuleHandle open_module(const std::string& module, SymbolScope scope)
{
  std::string file = "mdivicom-" + module + ".so";
  std::string tried;
  std::string reason;
  for (const auto& dir : module_dirs()) {
    fs::path path = dir / file;
    std::error_code error;
    if (!fs::exists(path, error)) {
      tried += (tried.empty() ? "" : ", ") + dir.string();
      continue;
    }
    int flags = RTLD_NOW | (scope == SymbolScope::global ? RTLD_GLOBAL : RTLD_LOCAL);
    ModuleHandle handle(dlopen(path.c_str(), flags));
    if (handle) {
      return handle;
    }
    const char* message = dlerror();
    reason = path.string() + ": " + (message != nullptr ? message : "cannot be loaded");
    break;
  }
  if (reason.empty()) {
    reason = file + " not found in " + tried;
  }
  throw Error("cannot load mdivicom's " + module + " module: " + reason +
              "; reinstall mdivicom (or set MDIVICOM_MODULE_DIR to the directory holding " + file + ")");
}

} // namespace

void* module_symbol(const std::string& module, const char* symbol, SymbolScope scope)
{
  static std::mutex mutex;
  static std::map<std::string, ModuleHandle> loaded;
  std::lock_guard lock(mutex);
  auto it = loaded.find(module);
  if (it == loaded.end()) {
    it = loaded.emplace(module, open_module(module, scope)).first;
  }
  void* address = dlsym(it->second.get(), symbol);
  if (address == nullptr) {
    throw Error("mdivicom's " + module + " module has no " + symbol +
                ": it belongs to another mdivicom version; reinstall mdivicom");
  }
  return address;
}

} // namespace mdivicom
