#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/run/lane.hpp"
#include "lanes/container/engine/engine.hpp"
#include "support/temp_dir.hpp"

namespace mdivicom::test {

// The engines that tests/container/engines.sh started for this suite (ctest fixture), read
// from $MDIVICOM_TEST_ENGINES_DIR/env.
struct TestEngine
{
  std::string name; // "docker" or "podman"
  std::string socket;
  std::string engine_option() const { return "unix://" + socket; }
  container::Engine connect() const;
};

const std::string& engines_dir();
TestEngine test_engine(const std::string& name);
std::string test_registry();             // "127.0.0.1:<port>"
std::filesystem::path test_images_dir(); // rootfs.tar, archive.tar, ... (made by [.images])

inline const char* k_test_image = "mdivicom-test/busybox:1";
inline const char* k_archived_image = "mdivicom-test/archived:1";

// Output captured from a run.
struct CaptureSink : OutputSink
{
  std::string out_text;
  std::string err_text;
  void out(std::string_view text) override { out_text.append(text); }
  void err(std::string_view text) override { err_text.append(text); }
};

// The directories and request of one run, in a fresh temp dir, for a container plugin with
// the given entry (image defaults to the test image). Writes the manifest to disk so that
// image_archive paths resolve relative to it.
class RunSetup
{
public:
  RunSetup(const TestEngine& engine, nlohmann::json entry);

  RunRequest& request() { return m_request; }
  const std::filesystem::path& root() const { return m_temp.path(); }
  const std::filesystem::path& dataset() const { return m_request.dataset_dir; }
  const std::filesystem::path& out_dir() const { return m_request.plugin_out_dir; }
  const std::filesystem::path& manifest_dir() const { return m_manifest_dir; }

  RunOutcome execute(CaptureSink& sink);
  // The request as JSON, for tests/container/driver.
  nlohmann::json to_json() const;

private:
  TempDir m_temp;
  std::filesystem::path m_manifest_dir;
  RunRequest m_request;
};

// A unix socket a process listens on, as an engine's docker.sock or a gpg-agent's, for the
// test's life.
class ListeningSocket
{
public:
  explicit ListeningSocket(const std::filesystem::path& path);
  ~ListeningSocket();
  ListeningSocket(const ListeningSocket&) = delete;
  ListeningSocket& operator=(const ListeningSocket&) = delete;

private:
  int m_fd = -1;
};

// Containers on the engine carrying label mdivicom.run_id=<run_id>.
std::vector<std::string> containers_of_run(const container::Engine& engine, const std::string& run_id);

// A unique run id: "test_<counter>_<pid>".
std::string unique_run_id();

// Runs tests/container/driver with the request; the outcome is its stdout as JSON.
struct DriverResult
{
  nlohmann::json outcome; // null when the driver printed none
  int exit_code = -1;
  int signal = 0;
  std::string err;
};
DriverResult run_driver(const nlohmann::json& request, const std::vector<std::string>& prefix = {},
                        double interrupt_after_s = 0, int interrupt_signal = 2);

} // namespace mdivicom::test

// One test case per engine: "<name> (docker)" and "<name> (podman)", each calling
// body(const TestEngine&).
#define ENGINE_TEST_CASE(name, tags, body)                                                                             \
  TEST_CASE(name " (docker)", tags)                                                                                    \
  {                                                                                                                    \
    body(mdivicom::test::test_engine("docker"));                                                                       \
  }                                                                                                                    \
  TEST_CASE(name " (podman)", tags)                                                                                    \
  {                                                                                                                    \
    body(mdivicom::test::test_engine("podman"));                                                                       \
  }
