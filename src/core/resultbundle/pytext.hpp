#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

// How Python spells and tests values. The reference builds some messages with str() and
// decides emptiness with str.strip(); matching those keeps our output byte-compatible.
namespace mdivicom::resultbundle {

bool python_isspace(char32_t c);                      // str.isspace() for one character
std::string python_strip(std::string_view text);      // str.strip()
bool python_is_blank(std::string_view text);          // `not text.strip()`
bool is_nonblank_string(const nlohmann::json& value); // isinstance(v, str) and v.strip()
std::string ascii_lower(std::string_view text);

bool python_truthy(const nlohmann::json& value);     // bool(value)
std::string python_bool(bool value);                 // "True" / "False"
std::string python_float_str(double value);          // str(float): 1.0, 1e-05, 1e+16, nan, inf
std::string python_str(const nlohmann::json& value); // str(value) of the decoded JSON value

} // namespace mdivicom::resultbundle
