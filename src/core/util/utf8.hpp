#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mdivicom {

// UTF-8 as Python's strict decoder takes it: no overlong forms, no surrogates (U+D800..DFFF),
// nothing past U+10FFFF. File names are bytes and JSON is UTF-8: every check and repair of
// text goes through these.

// Length (1 to 4) of the well-formed sequence at text[at], or 0 when none starts there.
size_t utf8_sequence_length(std::string_view text, size_t at);

// Offset of the first byte that starts no well-formed sequence, or npos.
size_t find_invalid_utf8(std::string_view text);

bool is_valid_utf8(std::string_view text);

// Replaces every byte that starts no well-formed sequence with U+FFFD.
std::string to_valid_utf8(std::string_view text);

// The code point at text[pos], advancing pos past it. A byte that starts no well-formed
// sequence is U+FFFD and advances one byte, so callers never loop forever on bad input.
char32_t next_code_point(std::string_view text, size_t& pos);

// One code point as UTF-8; a surrogate or a value past U+10FFFF is written as U+FFFD.
void append_utf8(std::string& out, char32_t code_point);

} // namespace mdivicom
