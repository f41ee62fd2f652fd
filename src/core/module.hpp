#pragma once

#include <string>
#include <thread>

namespace mdivicom {

// A part of mdivicom built as a shared object and loaded only by the commands that need it.
// libcurl and libpython together cost about 20 ms of loading and page faults at every start
// when linked into the binary; `plugins list` needs neither.
//
// Looked up in $MDIVICOM_MODULE_DIR, then <binary dir>/../<libdir>/mdivicom (installed), then
// the build tree. Loaded once per process and unloaded at exit.
// Throws an Error naming the module, where it looked and what to do.
//
// Symbols: `local` keeps the module's libraries out of the process's global symbol scope;
// `global` is for libpython, whose extension modules (_ctypes, numpy, ...) are not linked to
// it and find its symbols only there.
enum class SymbolScope { local, global };
void* module_symbol(const std::string& module, const char* symbol, SymbolScope scope = SymbolScope::local);

// Loads a module on a thread of its own, so that loading (mostly relocating its libraries:
// ~10 ms for libpython) overlaps other work. Join the thread (destroy it) before the process
// forks: a fork must never happen while another thread runs.
std::jthread load_module_in_background(std::string module, const char* symbol, SymbolScope scope = SymbolScope::local);

// Typed lookup of a module's entry function.
template <typename Function>
Function* module_function(const std::string& module, const char* symbol, SymbolScope scope = SymbolScope::local)
{
  return reinterpret_cast<Function*>(module_symbol(module, symbol, scope));
}

} // namespace mdivicom
