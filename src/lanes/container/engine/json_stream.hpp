#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mdivicom::container {

// Turns an engine answer into JSON: a single document, or several concatenated ones (the
// progress streams of pull, load, import and push) as an array.
nlohmann::json parse_json_stream(std::string_view text);

// The first {"error": ...} / {"errorDetail": ...} message of a progress stream, or "".
std::string stream_error(const nlohmann::json& messages);

} // namespace mdivicom::container
