// The hostile-input corpus (tests/data/hostile/*.json, format in its README.md): every case runs
// the real mdivicom binary in a fresh workspace, checks the expected outcome, and checks that
// nothing outside O/<id>/ changed (dataset and bystanders bit- and metadata-identical) and that
// no credential file was read.

#include <catch2/catch.hpp>

#include "hostile_workspace.hpp"

#include <chrono>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

using namespace mdivicom::test;
using namespace mdivicom::test::hostile;

namespace {

std::optional<json> record_of(const fs::path& runs)
{
  std::error_code error;
  for (const auto& item : fs::directory_iterator(runs, error)) {
    if (item.path().extension() == ".json") {
      return json::parse(read_file(item.path()));
    }
  }
  return std::nullopt;
}

std::vector<std::string> strings_of(const json& value)
{
  return value.is_array() ? value.get<std::vector<std::string>>() : std::vector<std::string>{value.get<std::string>()};
}

bool process_running(const std::string& marker)
{
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::ifstream cmdline(entry.path() / "cmdline");
    std::string text((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    if (text.find(marker) != std::string::npos && entry.path().filename() != std::to_string(::getpid())) {
      return true;
    }
  }
  return false;
}

void check_expectation(const Workspace& ws, const json& expect, const CommandResult& result)
{
  CHECK(result.exit_code == expect.at("exit").get<int>());
  std::optional<json> record = record_of(ws.out / "_runs");
  if (expect.contains("status")) {
    REQUIRE(record.has_value());
    CHECK((*record)["status"] == expect["status"]);
  } else if (expect.value("no_record", false)) {
    CHECK_FALSE(record.has_value());
  }
  if (expect.contains("error_type")) {
    REQUIRE(record.has_value());
    CHECK((*record)["error"]["type"] == expect["error_type"]);
  }
  for (const auto& part : strings_of(expect.value("stderr", json::array()))) {
    CHECK_THAT(result.err, Catch::Contains(ws.expand(part)));
  }
  for (const auto& part : strings_of(expect.value("stderr_lacks", json::array()))) {
    CHECK_THAT(result.err, !Catch::Contains(ws.expand(part)));
  }
  if (expect.contains("stdout")) {
    CHECK(result.out == ws.expand(text_of(expect["stdout"])));
  }
  for (const auto& part : strings_of(expect.value("stdout_contains", json::array()))) {
    CHECK_THAT(result.out, Catch::Contains(ws.expand(part)));
  }
  for (const auto& [path, content] : member(expect, "outputs").items()) {
    INFO("output " << path);
    if (content.is_null()) {
      CHECK_FALSE(fs::exists(fs::symlink_status(ws.out / path)));
    } else {
      CHECK(read_file(ws.out / path) == ws.expand(text_of(content)));
    }
  }
  for (const auto& [path, mode] : member(expect, "modes").items()) {
    struct stat info = {};
    REQUIRE(::lstat((ws.out / path).c_str(), &info) == 0);
    char octal[16];
    std::snprintf(octal, sizeof octal, "%o", info.st_mode & 07777);
    INFO("mode of " << path);
    CHECK(octal == mode.get<std::string>());
  }
  for (const auto& path : expect.value("absent", json::array())) {
    CHECK_FALSE(fs::exists(fs::symlink_status(ws.expand(path.get<std::string>()))));
  }
  if (expect.contains("no_process")) {
    const std::string marker = ws.expand(expect["no_process"].get<std::string>());
    // The namespace's end is asynchronous; a bound, not a timing claim.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (process_running(marker) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK_FALSE(process_running(marker));
  }
}

// Drops the access time of `path` from a snapshot: a file mdivicom itself reads (a dataset link's
// target, hashed for the dataset's identity).
void forget_atime(TreeSnapshot& snapshot, const std::string& path)
{
  std::string& line = snapshot[path];
  size_t from = line.find(" atime ");
  if (from != std::string::npos) {
    line.erase(from, line.find(" sha256 ", from + 1) - from);
  }
}

void run_case(const SharedPlugin& shared, const json& test_case, size_t index)
{
  Workspace ws(shared);
  ws.places["{MARKER}"] = "hostile-" + std::to_string(::getpid()) + "-" + std::to_string(index) + ".";
  ws.places["{TESTPID}"] = std::to_string(::getpid());
  ws.set_up(test_case);
  TreeSnapshot before = ws.snapshot();
  const TreeSnapshot plugin_before = snapshot_tree(shared.plugin);
  CommandResult result = run_mdivicom(ws.arguments(test_case), ws.options);
  INFO("exit " << result.exit_code << " signal " << result.signal << "\nstdout:\n"
               << result.out << "\nstderr:\n"
               << result.err << "\nrecord: " << record_of(ws.out / "_runs").value_or(json()).dump(2));
  CHECK(result.signal == 0);
  check_expectation(ws, test_case.at("expect"), result);
  TreeSnapshot after = ws.snapshot();
  for (const auto& path : test_case.at("expect").value("read_by_runner", json::array())) {
    forget_atime(before, path.get<std::string>());
    forget_atime(after, path.get<std::string>());
  }
  CHECK(snapshot_difference(before, after) == "");
  CHECK(snapshot_difference(plugin_before, snapshot_tree(shared.plugin)) == "");
}

void run_class(const std::string& name)
{
  const json cases = json::parse(read_file(k_corpus / (name + ".json")));
  REQUIRE(cases.is_array());
  static SharedPlugin shared; // one per test process; ctest runs each class in a process of its own
  for (size_t i = 0; i < cases.size(); ++i) {
    DYNAMIC_SECTION(name << " #" << i << ": " << cases[i].at("name").get<std::string>())
    {
      run_case(shared, cases[i], i);
    }
  }
}

} // namespace

TEST_CASE("hostile corpus: a plugin changes no metadata outside its output dir", "[cli][hostile]")
{
  run_class("sandbox_metadata");
}

TEST_CASE("hostile corpus: a plugin writes nothing outside its output dir and makes no device", "[cli][hostile]")
{
  run_class("sandbox_escape");
}

TEST_CASE("hostile corpus: a plugin's processes see no parent and outlive nothing", "[cli][hostile]")
{
  run_class("processes");
}

TEST_CASE("hostile corpus: a plugin reads no credential store and reaches no agent socket", "[cli][hostile]")
{
  run_class("credentials");
}

TEST_CASE("hostile corpus: hostile dataset and output and work paths are refused before anything is written",
          "[cli][hostile]")
{
  run_class("runner_paths");
}

TEST_CASE("hostile corpus: malformed manifests are reported and never hide the others", "[cli][hostile]")
{
  run_class("bad_manifests");
}

TEST_CASE("hostile corpus: bad configs are refused with the place and the fix", "[cli][hostile]")
{
  run_class("bad_configs");
}

TEST_CASE("hostile corpus: hostile dataset archives are refused and their cache stays read-only", "[cli][hostile]")
{
  run_class("archives");
}
