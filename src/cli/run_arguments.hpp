#pragma once

#include <CLI/CLI.hpp>

#include "core/run/run.hpp"

namespace mdivicom::cli {

// What the command line of `run` is parsed into.
struct RunArguments
{
  RunOptions run;
  bool plan_only = false; // --plan: print what would run and be sent; run nothing
  bool json = false;      // --json: the run's summary as JSON on stdout, nothing else there
  std::string engine;
  std::string pull = "missing";
  std::string python_env;
};

// Each declares one option of `run` that chooses the lane or the interpreter (see below).
void add_backend_option(CLI::App& command, RunArguments& args);
void add_python_env_option(CLI::App& command, RunArguments& args);

// The options of `run` that choose the lane or the interpreter, declared from here on the real
// `run` (add_run_options) and on the early parse's (early_parse.cpp): the two read them alike,
// so the Python worker started before the command line is parsed runs in the interpreter the
// run will use. An option that changes either belongs here; tests/cli/test_early_parse.cpp
// fails for one of `run` that is missing.
inline constexpr void (*k_lane_choice_options[])(CLI::App&, RunArguments&) = {add_backend_option,
                                                                              add_python_env_option};

// Declares every option of `run` on `command`, bound to `args` (which must outlive it).
void add_run_options(CLI::App& command, RunArguments& args);

// The run the arguments ask for, as core takes it.
RunOptions run_options_of(const RunArguments& args);

} // namespace mdivicom::cli
