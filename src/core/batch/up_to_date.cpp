#include "core/batch/up_to_date.hpp"

#include "core/config/redact.hpp"
#include "core/dataset/identity.hpp"
#include "core/hash/cache.hpp"

#include <map>

namespace mdivicom {

namespace fs = std::filesystem;

std::vector<FreshnessCheck> check_items(const fs::path& out, const std::vector<BatchItemState>& items,
                                        const std::vector<ItemToCheck>& inputs, const RunOptions& options,
                                        const LaneFactory& lanes)
{
  const DatasetHashMode mode = parse_dataset_hash_mode(options.dataset_hash);
  FileHashCache cache(FileHashCache::default_dir());
  std::map<std::string, CodeIdentity> code_of_plugin; // by ref
  std::map<std::string, std::unique_ptr<Lane>> lane_of_kind;
  std::vector<FreshnessCheck> checks(items.size());
  for (size_t index = 0; index < items.size(); ++index) {
    const BatchItemState& item = items[index];
    const ItemToCheck& input = inputs[index];
    std::error_code error;
    if (!fs::is_directory(item.dataset, error)) {
      checks[index].reasons.push_back("a dataset archive: its run checks it");
      continue;
    }
    RunRequest request;
    request.plugin = input.plugin;
    request.dataset_dir = item.dataset;
    request.dry_run = options.dry_run;
    request.backend = options.backend;
    request.options = options.lane_options;
    auto code = code_of_plugin.find(item.plugin);
    if (code == code_of_plugin.end()) {
      std::unique_ptr<Lane>& lane = lane_of_kind[input.plugin.kind()];
      if (!lane) {
        lane = lanes(input.plugin.kind());
      }
      code = code_of_plugin.emplace(item.plugin, lane ? lane->code_identity(request) : CodeIdentity{}).first;
    }
    std::vector<std::string> lines;
    DatasetIdentityOptions identity_options;
    identity_options.cache = &cache;
    identity_options.lines = &lines;
    identity_options.progress = false;
    const nlohmann::json dataset = dataset_identity(item.dataset, mode, identity_options);
    const RunKey key = make_run_key(request, input.config.hash, dataset, std::move(lines), code->second);
    const nlohmann::json config = redact(input.config.value);
    checks[index] = check_freshness(out / item.item, input.plugin.id(), {key, config}, cache);
  }
  cache.save();
  return checks;
}

} // namespace mdivicom
