#include "container/support.hpp"

#include "support/process.hpp"
#include "support/record_schema.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace mdivicom;
using namespace mdivicom::test;

namespace {

// A "registry" on loopback that takes connections and never answers: the kernel completes the
// handshake into the listen queue, nobody accepts. Readable once an engine has connected.
class SilentRegistry
{
public:
  SilentRegistry()
  {
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&address), size) == 0);
    REQUIRE(::listen(m_fd, 16) == 0);
    REQUIRE(::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &size) == 0);
    m_port = ntohs(address.sin_port);
  }
  ~SilentRegistry() { ::close(m_fd); }
  SilentRegistry(const SilentRegistry&) = delete;
  SilentRegistry& operator=(const SilentRegistry&) = delete;

  std::string host() const { return "127.0.0.1:" + std::to_string(m_port); }
  bool connected() const
  {
    pollfd item = {m_fd, POLLIN, 0};
    return ::poll(&item, 1, 0) > 0;
  }

private:
  int m_fd = -1;
  int m_port = 0;
};

} // namespace

TEST_CASE("Ctrl-C while the engine pulls from a registry that stopped answering cancels the run at once",
          "[container][cli]")
{
  auto engine = test_engine("docker"); // pulls from a plain-HTTP loopback registry as is
  SilentRegistry registry;
  TempDir temp;
  fs::create_directories(temp / "dataset");
  const std::string image = registry.host() + "/stalled/noop:1";
  write_file(temp / "manifests" / "stalled.json", nlohmann::json({{"meta",
                                                                   {{"api_version", "mdivicomtools.plugin.v0.1"},
                                                                    {"id", "stalled"},
                                                                    {"kind", "container"},
                                                                    {"version", "1.0.0"},
                                                                    {"description", "an image nobody can pull"}}},
                                                                  {"entry", {{"image", image}, {"argv", {"true"}}}}})
                                                      .dump());
  CommandOptions options;
  options.env["MDIVICOM_PLUGIN_PATH"] = (temp / "manifests").string();
  // dockerd gives up on a silent registry only after ~25 s: a run that waited for it (no cancel
  // in the transfer) is killed here instead of exiting 130.
  options.timeout_s = 15;
  options.interrupt_when = [&](int, const CommandResult&) { return registry.connected(); };
  auto result = run_mdivicom({"run", "stalled", "--dataset", (temp / "dataset").string(), "--out",
                              (temp / "out").string(), "--engine", engine.engine_option(), "--backend", "docker"},
                             options);
  INFO(result.err);
  CHECK(registry.connected());
  CHECK(result.exit_code == 130);

  nlohmann::json record;
  for (const auto& file : fs::directory_iterator(temp / "out" / "_runs")) {
    if (file.path().extension() == ".json") {
      record = nlohmann::json::parse(read_file(file.path()));
    }
  }
  REQUIRE(record.is_object());
  check_record_schema(record);
  CHECK(record["status"] == "cancelled");
  CHECK(record["error"]["type"] == "mdivicom.Cancelled");
  CHECK(record["error"]["message"].get<std::string>().find("interrupted while docker pulled " + image) !=
        std::string::npos);
}
