#pragma once

#include <filesystem>
#include <string>

namespace mdivicom::inproc {

struct InterpreterOptions
{
  std::filesystem::path executable;  // sys.executable: decides sys.prefix, the venv and site dirs
  bool unbuffered = true;            // stdout/stderr written through, so output shows live
};

// Starts the embedded interpreter, calls `function(argument)` of the bootstrap module
// (bootstrap.cpp), finalizes the interpreter and returns the int the function returned; 70
// when the interpreter or the bootstrap itself failed (the reason is printed on stderr).
// Only ever call this in a forked worker: an interpreter is started once per process.
int run_in_interpreter(const InterpreterOptions& options, const char* function, const std::string& argument);

} // namespace mdivicom::inproc
