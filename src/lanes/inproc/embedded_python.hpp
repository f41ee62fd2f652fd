#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

namespace mdivicom::inproc {

struct InterpreterOptions
{
  std::filesystem::path executable; // sys.executable: decides sys.prefix, the venv and site dirs
  bool unbuffered = true;           // stdout/stderr written through, so output shows live
};

// Starts the embedded interpreter, calls `function(params)` of the bootstrap module
// (bootstrap.cpp) with params as Python objects (no JSON parsing, so no json import in the
// worker), finalizes the interpreter and returns the int the function returned; 70 when the
// interpreter or the bootstrap itself failed (the reason is printed on stderr).
// Only ever call this in a forked worker: an interpreter is started once per process.
// libpython (the module mdivicom-python.so) is loaded by this call unless the lane's
// prepare() has already loaded it in the parent.
int run_in_interpreter(const InterpreterOptions& options, const char* function, const nlohmann::json& params);

// The module's entry function (python/embedded_python.cpp).
inline constexpr const char* k_python_module = "python";
inline constexpr const char* k_python_entry = "mdivicom_python_run";
using PythonModuleEntry = int(const InterpreterOptions&, const char* function, const nlohmann::json& params);

} // namespace mdivicom::inproc
