#include "core/util/module.hpp"

#include "build_info.hpp"
#include "core/util/error.hpp"
#include "core/util/install_layout.hpp"

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
  fs::path exe_dir = executable_dir();
  if (!exe_dir.empty()) {
    dirs.push_back(exe_dir.parent_path() / build_info::k_install_libdir / "mdivicom");
  }
  if (running_from_build_tree()) {
    dirs.emplace_back(build_info::k_module_build_dir);
  }
  return dirs;
}

// The path of `file` in the first module directory that has it. Throws an Error saying where
// it looked and what to do.
fs::path find_module_file(const std::string& file, const std::string& what)
{
  std::string tried;
  for (const auto& dir : module_dirs()) {
    std::error_code error;
    if (fs::exists(dir / file, error)) {
      return dir / file;
    }
    tried += (tried.empty() ? "" : ", ") + dir.string();
  }
  throw Error("cannot load mdivicom's " + what + ": " + file + " not found in " + tried +
              "; reinstall mdivicom (or set MDIVICOM_MODULE_DIR to the directory holding " + file + ")");
}

ModuleHandle open_module(const std::string& module)
{
  std::string file = "mdivicom-" + module + ".so";
  fs::path path = find_module_file(file, module + " module");
  // Lazy: binding every function of a library up front costs milliseconds, and modules link
  // with -z defs, so every symbol they call is known to resolve.
  int flags = RTLD_LAZY | RTLD_LOCAL;
  ModuleHandle handle(dlopen(path.c_str(), flags));
  if (!handle) {
    const char* message = dlerror();
    throw Error("cannot load mdivicom's " + module + " module: " + path.string() + ": " +
                (message != nullptr ? message : "cannot be loaded") +
                "; reinstall mdivicom (or set MDIVICOM_MODULE_DIR to the directory holding " + file + ")");
  }
  return handle;
}

} // namespace

void* module_symbol(const std::string& module, const char* symbol)
{
  struct Loaded
  {
    std::once_flag once;
    ModuleHandle handle;
    std::string error;
  };
  // Each module loads once; loading one does not wait for another loading on another thread.
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<Loaded>> modules;
  Loaded* loaded = nullptr;
  {
    std::lock_guard lock(mutex);
    auto& entry = modules[module];
    if (!entry) {
      entry = std::make_unique<Loaded>();
    }
    loaded = entry.get();
  }
  std::call_once(loaded->once, [&] {
    try {
      loaded->handle = open_module(module);
    } catch (const Error& e) {
      loaded->error = e.what();
    }
  });
  if (!loaded->handle) {
    throw Error(loaded->error);
  }
  void* address = dlsym(loaded->handle.get(), symbol);
  if (address == nullptr) {
    throw Error("mdivicom's " + module + " module has no " + symbol +
                ": it belongs to another mdivicom version; reinstall mdivicom");
  }
  return address;
}

fs::path module_executable(const std::string& name)
{
  return find_module_file("mdivicom-" + name, name);
}

std::jthread load_module_in_background(std::string module, const char* symbol)
{
  return std::jthread([module = std::move(module), symbol] {
    try {
      module_symbol(module, symbol);
    } catch (const std::exception&) {
      // Reported by the call that needs the module.
    }
  });
}

} // namespace mdivicom
