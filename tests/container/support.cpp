#include "container/support.hpp"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/plugins/plugin.hpp"
#include "core/util/text_bytes.hpp"
#include "lanes/container/container.hpp"
#include "lanes/container/image/image.hpp"
#include "support/process.hpp"

namespace mdivicom::test {

namespace fs = std::filesystem;

namespace {

std::map<std::string, std::string> read_env_file()
{
  std::map<std::string, std::string> values;
  std::ifstream file(engines_dir() + "/env");
  std::string line;
  while (std::getline(file, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) {
      values[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  if (values.empty()) {
    FAIL("no test engines at " << engines_dir()
                               << ": run the suite through ctest (its fixture starts them) or "
                                  "'tests/container/engines.sh start "
                               << engines_dir() << "'");
  }
  return values;
}

} // namespace

container::Engine TestEngine::connect() const
{
  auto engine = container::Engine::connect({socket, "test", name});
  if (!engine) {
    FAIL(engine.error());
  }
  return std::move(*engine);
}

const std::string& engines_dir()
{
  static const std::string dir = [] {
    const char* value = std::getenv("MDIVICOM_TEST_ENGINES_DIR");
    return std::string(value != nullptr && *value != '\0' ? value : MDIVICOM_DEFAULT_ENGINES_DIR);
  }();
  return dir;
}

TestEngine test_engine(const std::string& name)
{
  auto values = read_env_file();
  std::string key = name == "docker" ? "MDIVICOM_TEST_DOCKER_SOCK" : "MDIVICOM_TEST_PODMAN_SOCK";
  return {name, values[key]};
}

std::string test_registry()
{
  return read_env_file()["MDIVICOM_TEST_REGISTRY"];
}

fs::path test_images_dir()
{
  return fs::path(engines_dir()) / "images";
}

std::string unique_run_id()
{
  static std::atomic<int> counter{0};
  static const unsigned salt = std::random_device{}();
  return "test_" + std::to_string(getpid()) + "_" + std::to_string(salt % 100000) + "_" + std::to_string(++counter);
}

RunSetup::RunSetup(const TestEngine& engine, nlohmann::json entry)
{
  if (!entry.contains("image")) {
    entry["image"] = k_test_image;
  }
  m_manifest_dir = m_temp / "plugin";
  fs::create_directories(m_manifest_dir);
  nlohmann::json manifest = {
      {"meta",
       {{"api_version", "mdivicomtools.plugin.v0.1"},
        {"id", "ctr-test"},
        {"kind", "container"},
        {"version", "0.1.0"},
        {"description", "container lane test plugin"}}},
      {"entry", entry},
  };
  fs::path manifest_path = m_manifest_dir / "manifest.json";
  write_file(manifest_path, manifest.dump(2));
  m_request.plugin = normalize_plugin(manifest, PluginOrigin{manifest_path.string(), "", ""});
  m_request.run_id = unique_run_id();
  m_request.dataset_dir = m_temp / "dataset";
  m_request.out_root = m_temp / "out";
  m_request.plugin_out_dir = m_request.out_root / "ctr-test";
  m_request.work_dir = m_temp / "work";
  m_request.tmp_dir = m_temp / "tmp";
  m_request.log_path = m_request.out_root / "_runs" / (m_request.run_id + ".log");
  for (const auto& dir : {m_request.dataset_dir, m_request.plugin_out_dir, m_request.work_dir, m_request.tmp_dir}) {
    fs::create_directories(dir);
  }
  fs::create_directories(m_request.dataset_dir / "sessions" / "ses-01");
  write_file(m_request.dataset_dir / "sessions" / "ses-01" / "gaze.tsv", "t\tx\n0\t1\n1\t2\n");
  write_file(m_request.dataset_dir / "README", "test dataset\n");
  m_request.config_text = R"({"greeting":"hi"})";
  m_request.config = nlohmann::json::parse(m_request.config_text);
  m_request.backend = engine.name;
  m_request.options = {{"engine", engine.engine_option()}, {"stop_grace", 2}};
}

RunOutcome RunSetup::execute(CaptureSink& sink)
{
  return container::make_container_lane()->execute(m_request, sink);
}

nlohmann::json RunSetup::to_json() const
{
  nlohmann::json result = {
      {"plugin", m_request.plugin.object},
      {"run_id", m_request.run_id},
      {"dataset_dir", m_request.dataset_dir.string()},
      {"out_root", m_request.out_root.string()},
      {"plugin_out_dir", m_request.plugin_out_dir.string()},
      {"work_dir", m_request.work_dir.string()},
      {"tmp_dir", m_request.tmp_dir.string()},
      {"config_text", m_request.config_text},
      {"backend", m_request.backend},
      {"options", m_request.options},
  };
  if (m_request.timeout_s) {
    result["timeout_s"] = *m_request.timeout_s;
  }
  return result;
}

ListeningSocket::ListeningSocket(const fs::path& path)
{
  m_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(m_fd >= 0);
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  REQUIRE(path.string().size() < sizeof address.sun_path);
  path.string().copy(address.sun_path, sizeof address.sun_path - 1);
  REQUIRE(bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(listen(m_fd, 1) == 0);
}

ListeningSocket::~ListeningSocket()
{
  close(m_fd);
}

std::vector<std::string> containers_of_run(const container::Engine& engine, const std::string& run_id)
{
  nlohmann::json filters = {{"label", {"mdivicom.run_id=" + run_id}}};
  auto answer =
      engine.call("GET", container::Engine::api("/containers/json?all=1&filters=" + percent_encode(filters.dump())));
  REQUIRE(answer.ok());
  std::vector<std::string> ids;
  for (const auto& item : answer.body) {
    ids.push_back(item.value("Id", ""));
  }
  return ids;
}

DriverResult run_driver(const nlohmann::json& request, const std::vector<std::string>& prefix, double interrupt_after_s,
                        int interrupt_signal)
{
  fs::path file = fs::path(request.value("tmp_dir", "/tmp")).parent_path() / "driver-request.json";
  write_file(file, request.dump());
  fs::permissions(file,
                  fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  std::vector<std::string> argv = prefix;
  argv.push_back(MDIVICOM_LANE_DRIVER);
  argv.push_back(file.string());
  CommandOptions options;
  options.timeout_s = 120;
  if (interrupt_after_s > 0) {
    options.interrupt_after_s = interrupt_after_s;
    options.interrupt_signal = interrupt_signal;
  }
  CommandResult result = run_command(argv, options);
  DriverResult driver;
  driver.exit_code = result.exit_code;
  driver.signal = result.signal;
  driver.err = result.err;
  driver.outcome = nlohmann::json::parse(result.out, nullptr, false);
  if (driver.outcome.is_discarded()) {
    driver.outcome = nullptr;
  }
  return driver;
}

} // namespace mdivicom::test
