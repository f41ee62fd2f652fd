#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/config/config.hpp"

namespace mdivicom {

// Refuses (usage Error naming plugin, key and rule) a config that violates the plugin's
// meta.config_schema; does nothing when the plugin declares none.
void check_config_against_schema(const Config& config, const nlohmann::json& config_schema,
                                 const std::string& plugin_ref);

} // namespace mdivicom
