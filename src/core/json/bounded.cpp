#include "core/json/bounded.hpp"

#include <string>

namespace mdivicom {

size_t find_too_deep_json(std::string_view text, int max_depth)
{
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i; // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return i;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

nlohmann::json parse_json_bounded(std::string_view text, bool allow_exceptions)
{
  if (size_t at = find_too_deep_json(text); at != std::string_view::npos) {
    if (!allow_exceptions) {
      return nlohmann::json(nlohmann::json::value_t::discarded);
    }
    throw nlohmann::json::parse_error::create(101, at + 1,
                                              "nesting deeper than " + std::to_string(k_max_json_depth) +
                                                  " levels of arrays and objects, the most mdivicom reads",
                                              nullptr);
  }
  return nlohmann::json::parse(text, nullptr, allow_exceptions);
}

} // namespace mdivicom
