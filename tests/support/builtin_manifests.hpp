#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace mdivicom::test {

// What `plugins list` prints without the built-in manifests (the source tree's manifests/,
// which a binary in the build tree always searches last), for tests that expect an exact listing.
std::string without_builtin_manifests(const std::string& listing);

// The same for `plugins list --json`: the entries whose manifest is not a built-in one.
nlohmann::json without_builtin_manifests(const nlohmann::json& listing);

} // namespace mdivicom::test
