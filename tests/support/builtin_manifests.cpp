#include "support/builtin_manifests.hpp"

#include "support/temp_dir.hpp"

#include <filesystem>
#include <set>
#include <sstream>

namespace mdivicom::test {

namespace fs = std::filesystem;

namespace {

const fs::path k_builtin_dir = fs::path(MDIVICOM_SOURCE_DIR) / "manifests";

// Each built-in manifest as `plugins list` prints it: "[publisher/]id<TAB>kind<TAB>version".
std::set<std::string> builtin_lines()
{
  std::set<std::string> lines;
  for (const auto& file : fs::directory_iterator(k_builtin_dir)) {
    if (file.path().extension() != ".json") {
      continue;
    }
    auto meta = nlohmann::json::parse(read_file(file.path())).at("meta");
    std::string publisher = meta.value("publisher", "");
    lines.insert((publisher.empty() ? "" : publisher + "/") + meta.at("id").get<std::string>() + "\t" +
                 meta.at("kind").get<std::string>() + "\t" + meta.at("version").get<std::string>());
  }
  return lines;
}

} // namespace

std::string without_builtin_manifests(const std::string& listing)
{
  static const std::set<std::string> builtins = builtin_lines();
  std::istringstream in(listing);
  std::string kept;
  for (std::string line; std::getline(in, line);) {
    if (builtins.count(line) == 0) {
      kept += line + "\n";
    }
  }
  return kept;
}

nlohmann::json without_builtin_manifests(const nlohmann::json& listing)
{
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& plugin : listing) {
    std::string manifest = plugin.value("manifest_path", "");
    if (manifest.empty() || fs::path(manifest).parent_path() != k_builtin_dir) {
      kept.push_back(plugin);
    }
  }
  return kept;
}

} // namespace mdivicom::test
