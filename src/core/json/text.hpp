#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mdivicom {

// Text-level pieces of canonical JSON (canonical_json.hpp), kept apart from the parser.

// Offset of the first byte that is not well-formed UTF-8 (no overlongs, no surrogates, nothing
// past U+10FFFF: what Python's strict utf-8 decoder accepts), or npos.
size_t find_invalid_utf8(std::string_view text);

// "line L column C" for a byte offset, counting columns in characters as Python's json does.
std::string describe_position(std::string_view text, size_t position);

// `s` as a JSON string the way Python's json.dumps(ensure_ascii=False) writes it: \" \\ \n \r
// \t \b \f, other control characters as \u00xx (lowercase hex), everything else as is.
void append_escaped_string(std::string& out, std::string_view s);

// One code point (not a surrogate) as UTF-8.
void append_utf8(std::string& out, uint32_t code_point);

} // namespace mdivicom
