#include "cli/app.hpp"

#include "build_info.hpp"
#include "cli/commands.hpp"
#include "cli/early_parse.hpp"
#include "cli/help.hpp"
#include "cli/usage_hint.hpp"
#include "core/util/error.hpp"
#include "core/json/bounded.hpp"
#include "core/config/redact.hpp"
#include "core/config/redact_scrub.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <iostream>
#include <string_view>
#include <system_error>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

extern char** environ;

namespace mdivicom::cli {

namespace {

int g_exit_code = 0;
GlobalOptions g_global_options;

// An argument as --verbose shows it: JSON text (an inline --config, also as --config=...) with
// the values of its secret keys redacted, URLs without their passwords.
std::string shown_argument(std::string_view arg)
{
  size_t equals = arg.starts_with("--") ? arg.find('=') : std::string_view::npos;
  size_t value_at = equals == std::string_view::npos ? 0 : equals + 1;
  auto parsed = parse_json_bounded(arg.substr(value_at), false);
  if (!parsed.is_discarded() && parsed.is_structured()) {
    return std::string(arg.substr(0, value_at)) +
           redact(parsed).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return redact_url_credentials(arg);
}

// Printed without allocating: the heap is what ran out.
constexpr const char* k_out_of_memory =
    "mdivicom: error: out of memory; raise the memory limit (ulimit -v, the cgroup's or the container's) or free "
    "memory, then run the command again\n";

std::terminate_handler g_default_terminate = nullptr;

// An exception no one catches (std::bad_alloc on one of mdivicom's threads, or before the
// command line is parsed) ends mdivicom here: a memory failure exits 4 with a message instead
// of aborting (exit 134); anything else goes to the default handler (it names the exception,
// then aborts), as it is a bug.
[[noreturn]] void on_terminate()
{
  if (std::exception_ptr failure = std::current_exception()) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::bad_alloc&) {
      std::fputs(k_out_of_memory, stderr);
      std::_Exit(static_cast<int>(ExitCode::infrastructure));
    } catch (...) {
    }
  }
  if (g_default_terminate != nullptr) {
    g_default_terminate();
  }
  std::abort();
}

void setup_logging(const GlobalOptions& options, int argc, char** argv)
{
  auto logger = spdlog::stderr_logger_st("mdivicom");
  spdlog::set_default_logger(logger);
  if (!options.verbose) {
    spdlog::set_pattern("mdivicom: %^%l%$: %v");
    spdlog::set_level(options.quiet ? spdlog::level::warn : spdlog::level::info);
    return;
  }
  spdlog::set_pattern("[%Y-%m-%dT%H:%M:%S.%e] mdivicom: %^%l%$: %v");
  spdlog::set_level(spdlog::level::debug);
  spdlog::debug("{}", version_text());
  // The values of secret variables (the run log's list) are scrubbed wherever else they show:
  // in argv, or inside another variable (GIT_ASKPASS=echo <token>). People paste -v output
  // into bug reports.
  std::vector<std::string> secrets = secret_env_values(environ);
  std::stable_sort(secrets.begin(), secrets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  std::string args;
  for (int i = 0; i < argc; ++i) {
    args += (i ? " " : "") + shown_argument(argv[i]);
  }
  spdlog::debug("argv: {}", scrub(args, secrets));
  for (char** entry = environ; *entry != nullptr; ++entry) {
    spdlog::debug("env: {}", scrub(redact_env_entry(*entry), secrets)); // GITHUB_TOKEN=***REDACTED***
  }
}

} // namespace

std::string version_text()
{
  return std::string("mdivicom ") + build_info::k_version + " (commit " + build_info::k_commit + ")";
}

void add_global_options(CLI::App& app, GlobalOptions& options)
{
  app.set_version_flag("--version", version_text());
  app.add_flag("-v,--verbose", options.verbose,
               "Log debug details (version, argv, environment with secrets redacted) to stderr; wins over -q");
  app.add_flag("-q,--quiet", options.quiet,
               "Only warnings and errors on stderr; for run, also no plugin output on the terminal (it is still in "
               "the run log)");
}

const GlobalOptions& global_options()
{
  return g_global_options;
}

void set_exit_code(int code)
{
  g_exit_code = code;
}

int requested_exit_code()
{
  return g_exit_code;
}

void define_app(CLI::App& app, GlobalOptions& options, const CommandGroup* group)
{
  app.name("mdivicom");
  app.description("mdivicom: run lab data-processing plugins reproducibly");
  app.require_subcommand(1);
  app.fallthrough(); // inherited by every command: an option none of them knows is the app's (-v, -q)
  app.footer(top_level_footer());
  add_global_options(app, options);
  for (const auto& each : k_command_groups) {
    if (group == nullptr || group == &each) {
      each.add(app);
    }
  }
  if (group == nullptr) {
    add_help_command(app);
  }
}

int run_app(int argc, char** argv)
{
  g_default_terminate = std::set_terminate(on_terminate);
  const EarlyParse early = early_parse(argc, argv);
  EarlyPythonWorker early_worker(early.run); // before the command line is built and parsed
  CLI::App app;
  // Only the group the command line names: CLI11 makes every option of every group it is given.
  define_app(app, g_global_options, early.group);
  app.parse_complete_callback([&] { setup_logging(g_global_options, argc, argv); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_usage_error(app, std::vector<std::string>(argv + 1, argv + argc), e);
  } catch (const Error& e) {
    std::cout.flush();
    std::cerr << "mdivicom: error: " << e.what() << "\n";
    return static_cast<int>(e.code());
  } catch (const std::bad_alloc&) {
    std::cout.flush();
    std::fputs(k_out_of_memory, stderr);
    return static_cast<int>(ExitCode::infrastructure);
  } catch (const std::system_error& e) {
    std::cout.flush();
    // A thread that cannot start (no memory for its stack, or the process limit): no bug either.
    if (e.code() == std::errc::resource_unavailable_try_again) {
      std::cerr << "mdivicom: error: cannot start a thread (" << e.what()
                << "); raise the memory limit (ulimit -v) or the process limit (ulimit -u), then run the command "
                   "again\n";
    } else {
      std::cerr << "mdivicom: error: unexpected: " << e.what() << "\n";
    }
    return static_cast<int>(ExitCode::infrastructure);
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "mdivicom: error: unexpected: " << e.what() << "\n";
    return static_cast<int>(ExitCode::infrastructure);
  }
  return g_exit_code;
}

} // namespace mdivicom::cli
