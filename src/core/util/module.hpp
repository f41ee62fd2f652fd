#pragma once

#include <filesystem>
#include <string>
#include <thread>

namespace mdivicom {

// A part of mdivicom built as a shared object and loaded only by the commands that need it.
// libcurl, OpenSSL and libarchive together cost about 20 ms of loading and page faults at
// every start when linked into the binary; `plugins list` needs none of them.
//
// Looked up in $MDIVICOM_MODULE_DIR, then <binary dir>/../<libdir>/mdivicom (installed), then
// the build tree. Loaded once per process (RTLD_LOCAL: its libraries stay out of the global
// symbol scope) and unloaded at exit.
// Throws an Error naming the module, where it looked and what to do.
void* module_symbol(const std::string& module, const char* symbol);

// A helper program installed with the modules (mdivicom-<name>, e.g. the Python worker), found
// the same way. Throws an Error naming it, where it looked and what to do.
std::filesystem::path module_executable(const std::string& name);

// Loads a module on a thread of its own, so that loading (mostly relocating its libraries:
// ~10 ms for libcrypto) overlaps other work. Join the thread (destroy it) before the module's
// first use is timed, or just use the module: loading happens once.
std::jthread load_module_in_background(std::string module, const char* symbol);

// Typed lookup of a module's entry function.
template <typename Function>
Function* module_function(const std::string& module, const char* symbol)
{
  return reinterpret_cast<Function*>(module_symbol(module, symbol));
}

} // namespace mdivicom
