// One vocabulary of error.type for both lanes and core (core/run/outcome_error.hpp), and the
// places that must name every word of it: the run record's schema and the README.
#include <catch2/catch.hpp>

#include "core/json/schema.hpp"
#include "core/run/outcome_error.hpp"
#include "support/temp_dir.hpp"

#include <set>

using namespace mdivicom;
using namespace mdivicom::test;

namespace {

nlohmann::json record_schema()
{
  return nlohmann::json::parse(read_file(std::string(MDIVICOM_SOURCE_DIR) + "/schemas/run-record.schema.json"));
}

bool valid_error(const nlohmann::json& error)
{
  static const JsonSchema schema(record_schema()["properties"]["error"]);
  return schema.validate(error).empty();
}

} // namespace

TEST_CASE("k_run_errors lists every kind of RunError, each once, named mdivicom.<Name>", "[core][outcome_error]")
{
  std::set<std::string> names;
  for (size_t i = 0; i < k_run_errors.size(); ++i) {
    CHECK(static_cast<size_t>(k_run_errors[i]) == i); // in the enum's order, none skipped
    const std::string name(to_string(k_run_errors[i]));
    CHECK(name.starts_with("mdivicom."));
    CHECK(names.insert(name).second);
  }
  // The value past the list is no kind: to_string falls back to the runner's name for it. A kind
  // added to the enum but not to the list has a name of its own there.
  CHECK(to_string(static_cast<RunError>(k_run_errors.size())) == to_string(RunError::runner));
}

TEST_CASE("the run record schema names every error.type mdivicom writes, and no other", "[core][outcome_error]")
{
  const nlohmann::json schema = record_schema();
  std::set<std::string> in_schema;
  for (const auto& name : schema["properties"]["error"]["properties"]["type"]["anyOf"][0]["enum"]) {
    in_schema.insert(name.get<std::string>());
  }
  std::set<std::string> written;
  for (RunError kind : k_run_errors) {
    written.insert(std::string(to_string(kind)));
  }
  CHECK(in_schema == written);
}

TEST_CASE("the README documents every error.type mdivicom writes", "[core][outcome_error]")
{
  const std::string readme = read_file(std::string(MDIVICOM_SOURCE_DIR) + "/README.md");
  for (RunError kind : k_run_errors) {
    INFO(to_string(kind));
    CHECK(readme.find("`" + std::string(to_string(kind)) + "`") != std::string::npos);
  }
}

TEST_CASE("the record schema takes a plugin's exception by its name, and refuses a misspelt verdict of mdivicom",
          "[core][outcome_error]")
{
  CHECK(valid_error(run_error(RunError::timeout, "stopped")));
  CHECK(valid_error(plugin_exception_error("ValueError", "bad value", "Traceback ...")));
  CHECK(valid_error(plugin_exception_error("mypkg.errors.BadInput", "no")));
  CHECK(valid_error({{"type", "OOMKilled"}, {"message", "a record from before the names were unified"}}));
  CHECK_FALSE(valid_error({{"type", "mdivicom.Timout"}, {"message", "a verdict mdivicom has no name for"}}));
  CHECK_FALSE(valid_error({{"type", ""}, {"message", "no name at all"}}));
}

TEST_CASE("a plugin's exception keeps its own name, message and traceback", "[core][outcome_error]")
{
  const nlohmann::json error = plugin_exception_error("SystemExit", "the plugin called sys.exit(3)", "Traceback");
  CHECK(error ==
        nlohmann::json(
            {{"type", "SystemExit"}, {"message", "the plugin called sys.exit(3)"}, {"traceback", "Traceback"}}));
  CHECK_FALSE(plugin_exception_error("KeyError", "'x'").contains("traceback"));
}

TEST_CASE("a stopped run gets the status and the error of its stop reason", "[core][outcome_error]")
{
  RunOutcome timed_out;
  set_stopped(timed_out, StopReason::timeout, "after 1 s");
  CHECK(timed_out.status == RunStatus::timeout);
  CHECK(timed_out.error == nlohmann::json({{"type", "mdivicom.Timeout"}, {"message", "after 1 s"}}));

  RunOutcome cancelled;
  set_stopped(cancelled, StopReason::cancelled, "Ctrl-C");
  CHECK(cancelled.status == RunStatus::cancelled);
  CHECK(cancelled.error["type"] == "mdivicom.Cancelled");

  RunOutcome ended;
  ended.status = RunStatus::succeeded;
  set_stopped(ended, StopReason::none, "unused");
  CHECK(ended.status == RunStatus::succeeded);
  CHECK(ended.error.is_null());
  CHECK(to_string(StopReason::timeout) == "timeout"); // the container facts' stop.reason
  CHECK(to_string(StopReason::cancelled) == "cancelled");
}

TEST_CASE("run_exit_code: 0 succeeded, 130 cancelled, 4 for the runner's or the infrastructure's errors, else 1",
          "[core][outcome_error][exit]")
{
  CHECK(run_exit_code(RunStatus::succeeded, nullptr) == ExitCode::ok);
  CHECK(run_exit_code(RunStatus::cancelled, run_error(RunError::cancelled, "Ctrl-C")) == ExitCode::interrupted);
  CHECK(run_exit_code(RunStatus::failed, plugin_exception_error("ValueError", "bad")) == ExitCode::failed);
  CHECK(run_exit_code(RunStatus::failed, run_error(RunError::process_exit, "exit 3")) == ExitCode::failed);
  CHECK(run_exit_code(RunStatus::timeout, run_error(RunError::timeout, "stopped")) == ExitCode::failed);
  CHECK(run_exit_code(RunStatus::crashed, run_error(RunError::out_of_memory, "killed")) == ExitCode::failed);
  CHECK(run_exit_code(RunStatus::failed, run_error(RunError::engine_unavailable, "no engine")) ==
        ExitCode::infrastructure);
  CHECK(run_exit_code(RunStatus::failed, run_error(RunError::image, "pull failed")) == ExitCode::infrastructure);
  CHECK(run_exit_code(RunStatus::failed, run_error(RunError::start_failed, "no python")) == ExitCode::infrastructure);
  CHECK(run_exit_code(RunStatus::failed, run_error(RunError::runner, "out of memory")) == ExitCode::infrastructure);
  // A plugin's exception spelt like a verdict of mdivicom's it is not: the plugin's failure.
  CHECK(run_exit_code(RunStatus::failed, plugin_exception_error("EngineUnavailable", "mine")) == ExitCode::failed);
  CHECK(run_exit_code(RunStatus::failed, nullptr) == ExitCode::failed);
  for (RunError kind : k_run_errors) {
    CHECK(run_error_kind(to_string(kind)) == kind);
  }
}

TEST_CASE("the README's error.type table gives each kind the exit code mdivicom exits with",
          "[core][outcome_error][exit]")
{
  const std::string readme = read_file(std::string(MDIVICOM_SOURCE_DIR) + "/README.md");
  for (RunError kind : k_run_errors) {
    const std::string name = "`" + std::string(to_string(kind)) + "`";
    INFO(name);
    const size_t row = readme.find("\n| " + name);
    const size_t in_row = readme.find(", " + name + " |");
    const size_t at = row != std::string::npos ? row : readme.rfind("\n| ", in_row);
    REQUIRE(at != std::string::npos);
    const std::string line = readme.substr(at + 1, readme.find('\n', at + 1) - at - 1);
    const std::string last = line.substr(line.rfind(" | ", line.size() - 3) + 3);
    const std::string expected = kind == RunError::cancelled ? "130" : is_infrastructure_failure(kind) ? "4" : "1";
    CHECK(last.rfind(expected, 0) == 0);
  }
}
