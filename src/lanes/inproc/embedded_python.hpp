#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

namespace mdivicom::inproc {

struct InterpreterOptions
{
  std::filesystem::path executable;  // sys.executable: decides sys.prefix, the venv and site dirs
  bool unbuffered = true;            // stdout/stderr written through, so output shows live
};

// Starts the embedded interpreter, calls `function(params)` of the bootstrap module
// (bootstrap.cpp) with params as Python objects (no JSON parsing, so no json import in the
// worker), finalizes the interpreter and returns the int the function returned; 70 when the
// interpreter or the bootstrap itself failed (the reason is printed on stderr).
// Only ever call this in a forked worker: an interpreter is started once per process.
int run_in_interpreter(const InterpreterOptions& options, const char* function, const nlohmann::json& params);

} // namespace mdivicom::inproc
