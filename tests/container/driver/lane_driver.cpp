// Runs the container lane once in its own process, as `mdivicom run` will: under an
// InterruptScope, so tests can send it SIGINT, run it as another user (setpriv) or kill it.
//   container_lane_driver REQUEST.json   -> prints {"outcome": ..., "out": ..., "err": ...}
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/util/interrupt.hpp"
#include "core/plugins/plugin.hpp"
#include "lanes/container/container.hpp"

namespace {

struct CaptureSink : mdivicom::OutputSink
{
  std::string out_text;
  std::string err_text;
  void out(std::string_view text) override { out_text.append(text); }
  void err(std::string_view text) override { err_text.append(text); }
};

} // namespace

int main(int argc, char** argv)
{
  if (argc != 2) {
    std::cerr << "usage: container_lane_driver REQUEST.json\n";
    return 2;
  }
  std::ifstream file(argv[1]);
  std::stringstream text;
  text << file.rdbuf();
  auto json = nlohmann::json::parse(text.str());

  mdivicom::RunRequest request;
  request.plugin = mdivicom::Plugin{json["plugin"]};
  request.run_id = json["run_id"];
  request.dataset_dir = json["dataset_dir"].get<std::string>();
  request.out_root = json["out_root"].get<std::string>();
  request.plugin_out_dir = json["plugin_out_dir"].get<std::string>();
  request.work_dir = json["work_dir"].get<std::string>();
  request.tmp_dir = json["tmp_dir"].get<std::string>();
  request.config_text = json["config_text"];
  request.config = nlohmann::json::parse(request.config_text);
  request.backend = json["backend"];
  request.options = json["options"];
  if (json.contains("timeout_s")) {
    request.timeout_s = json["timeout_s"].get<double>();
  }

  mdivicom::InterruptScope interrupts;
  CaptureSink sink;
  auto outcome = mdivicom::container::make_container_lane()->execute(request, sink);
  nlohmann::json result = {
      {"status", std::string(mdivicom::to_string(outcome.status))},
      {"exit_code", outcome.exit_code ? nlohmann::json(*outcome.exit_code) : nlohmann::json()},
      {"error", outcome.error},
      {"backend", outcome.backend},
      {"facts", outcome.facts},
      {"out", sink.out_text},
      {"err", sink.err_text},
  };
  std::cout << result.dump() << std::endl;
  return 0;
}
