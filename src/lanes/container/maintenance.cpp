// The container lane's answers for `mdivicom doctor` and `mdivicom gc`.
#include "lanes/container/container.hpp"

#include "lanes/container/engine/engine.hpp"
#include "lanes/container/runner.hpp"

namespace mdivicom::container {

namespace {

// {"reachable": false, "error", "fix"}: the fix is the part of a failure after "; " (see
// engine.cpp).
nlohmann::json failure_entry(const std::string& error)
{
  nlohmann::json entry = {{"reachable", false}, {"error", error}};
  auto split = error.find("; ");
  if (split != std::string::npos) {
    entry["error"] = error.substr(0, split);
    entry["fix"] = error.substr(split + 2);
  }
  return entry;
}

} // namespace

nlohmann::json doctor_facts(const std::string& engine_option)
{
  nlohmann::json engines = nlohmann::json::array();
  int reachable = 0;
  auto candidates = engine_candidates(engine_option, "auto");
  if (!candidates) {
    // A setting a run would refuse (DOCKER_HOST=tcp://...): no engine is tried, as in a run.
    engines.push_back(failure_entry(candidates.error()));
    return {{"engines", engines}, {"reachable", 0}, {"error", candidates.error()}};
  }
  for (const auto& candidate : *candidates) {
    auto engine = Engine::connect(candidate);
    if (!engine) {
      nlohmann::json entry = failure_entry(engine.error());
      entry["socket"] = candidate.socket;
      entry["source"] = candidate.source;
      engines.push_back(entry);
      continue;
    }
    ++reachable;
    nlohmann::json entry = engine->info().to_json();
    entry["source"] = candidate.source;
    entry["reachable"] = true;
    engines.push_back(entry);
  }
  return {{"engines", engines}, {"reachable", reachable}};
}

nlohmann::json gc(const GcOptions& options)
{
  nlohmann::json engines = nlohmann::json::array();
  auto candidates = engine_candidates(options.engine, options.backend);
  if (!candidates) {
    return {{"engines", engines}, {"error", candidates.error()}};
  }
  for (const auto& candidate : *candidates) {
    auto engine = Engine::connect(candidate);
    if (!engine) {
      // Default sockets that do not exist are normal; an explicit one is worth reporting.
      if (candidate.source != "default") {
        engines.push_back({{"socket", candidate.socket}, {"errors", {engine.error()}}});
      }
      continue;
    }
    nlohmann::json report = reap_leftovers(*engine, options.dry_run);
    report["socket"] = candidate.socket;
    report["name"] = engine->info().name;
    engines.push_back(report);
  }
  return {{"engines", engines}};
}

} // namespace mdivicom::container
