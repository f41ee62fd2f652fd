#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace mdivicom {

// File names are bytes; JSON is UTF-8. These keep the two apart without losing either (the
// UTF-8 rules themselves: utf8.hpp).

// Text for a terminal, from bytes that may come from a hostile file name or message: control
// characters (C0, DEL, C1), line and paragraph separators and bidirectional overrides become
// \n, \r, \t, \xNN or \uNNNN, a backslash becomes \\, and invalid UTF-8 bytes become \xNN.
// The result never holds a line break or an escape sequence, so a name cannot forge a line.
// Every command that prints a file name or a stored message as text goes through it.
std::string printable(std::string_view text);

// JSON text people read (indent 2, keys sorted). A string that is not UTF-8 (a path's bytes)
// gets U+FFFD where nlohmann's dump() would throw: a run is recorded anyway.
std::string json_text(const nlohmann::json& value);
// The same with a final newline, for a file.
std::string json_file_text(const nlohmann::json& value);

std::string to_hex(std::string_view bytes);
std::optional<std::string> from_hex(std::string_view hex);

// `text` with every byte outside RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~) and
// `keep` %-encoded in uppercase hex: a URL's query value (engine requests).
std::string percent_encode(std::string_view text, std::string_view keep = {});

// percent_encode(path, "/"): a relative path as a URI path (RO-Crate data entity ids).
std::string percent_encode_path(std::string_view path);

} // namespace mdivicom
