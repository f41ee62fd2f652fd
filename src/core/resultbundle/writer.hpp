#pragma once

// resultbundle.json sidecars from the runner (issue 5): after a run, either write the
// sidecar the plugin declared in meta.resultbundle, or validate the one the plugin wrote.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/error.hpp"

namespace mdivicom::resultbundle {

// A plugin's own sidecar is validated with this policy unless the user picks another:
// warn-level, so a legacy but usable sidecar never fails a run whose outputs are fine, while
// every problem is still recorded (with the fallback reason the policy requires).
inline constexpr std::string_view k_default_bundle_policy = "pipeline_auto";

inline constexpr std::string_view k_sidecar_name = "resultbundle.json";

// What the run pipeline calls once the plugin has finished. Never overwrites a sidecar the
// plugin wrote. Returns the run record fragment:
//   {"action": "written",   "path", "ok", "fail_run", "report", "file_count"}
//   {"action": "validated", "path", "ok", "fail_run", "policy", "report"[, "fallback_reason"]}
//   {"action": "none",      "ok": true, "fail_run": false, "reason"}
//   {"action": "failed",    "ok": false, "fail_run": true, "error"}
// "report" is what `resultbundles validate --json` prints. fail_run is true when a declared
// required file is missing, when the written sidecar fails strict validation, or when the
// plugin's own sidecar is invalid under a policy that allows no fallback (plugin_strict).
// Throws a usage Error for an unknown policy name: check it with policy_by_name() up front.
// A plugin's detached sidecar may name root_base out_dir (= plugin_out_dir, the out_dir the
// plugin was given) or dataset_dir (pass the run's dataset directory).
nlohmann::json finalize_resultbundle(const nlohmann::json& plugin_object, const std::filesystem::path& plugin_out_dir,
                                     const std::string& run_id, std::string_view policy = k_default_bundle_policy,
                                     const std::optional<std::filesystem::path>& dataset_dir = std::nullopt);

} // namespace mdivicom::resultbundle
