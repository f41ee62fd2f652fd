#include "lanes/container/engine/json_stream.hpp"

namespace mdivicom::container {

nlohmann::json parse_json_stream(std::string_view text)
{
  nlohmann::json result = nlohmann::json::array();
  size_t start = std::string_view::npos;
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (depth++ == 0) {
        start = i;
      }
    } else if ((c == '}' || c == ']') && depth > 0 && --depth == 0) {
      auto value = nlohmann::json::parse(text.substr(start, i + 1 - start), nullptr, false);
      if (!value.is_discarded()) {
        result.push_back(std::move(value));
      }
    }
  }
  return result;
}

std::string stream_error(const nlohmann::json& messages)
{
  for (const auto& message : messages) {
    if (!message.is_object()) {
      continue;
    }
    if (message.contains("error") && message["error"].is_string()) {
      return message["error"].get<std::string>();
    }
    if (message.contains("errorDetail") && message["errorDetail"].is_object()) {
      return message["errorDetail"].value("message", "error");
    }
  }
  return "";
}

} // namespace mdivicom::container
