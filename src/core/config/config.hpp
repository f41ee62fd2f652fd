#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mdivicom {

struct Config
{
  std::string canonical; // canonical JSON text (see canonical_json.hpp)
  std::string text;      // as given; a Python plugin gets json.loads(text), keys in source order
  nlohmann::json value;  // parsed
  std::string hash;      // hex SHA-256 of `canonical`: the reference's config_hash_sha256
  std::string source;    // "empty", "file:<path>" or "inline"
};

// --config: empty means {}; a path to an existing file means its content; anything else is
// JSON text. Throws a usage Error naming the file (or "--config") and what is wrong.
// The config must be a JSON object.
Config load_config(std::string_view argument);

} // namespace mdivicom
