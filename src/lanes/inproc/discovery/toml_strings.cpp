// The one file that includes toml++. It is compiled in here (header-only mode) rather than
// linked as Debian's libtomlplusplus.so: one shared library less to load at every start, and
// no C++ library built on the shared libstdc++ inside a program that links its own statically.
#include "lanes/inproc/discovery/toml_strings.hpp"

#include <stdexcept>

namespace mdivicom::inproc {
// toml++ 3.3 checks its parser's own state with TOML_ASSERT_ASSUME, which is assert() in a debug
// build and an optimizer's assumption (undefined behaviour when false) under NDEBUG; a fuzzer
// found input that breaks one (a table header such as `entry-points{=d ...`). Every such check
// throws here instead, and the file is reported as malformed.
[[noreturn]] inline void toml_check_failed(const char* check)
{
  throw std::runtime_error(std::string("the TOML reader's own check failed (") + check + ")");
}
} // namespace mdivicom::inproc

#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#define TOML_ASSERT(expr) ((expr) ? static_cast<void>(0) : ::mdivicom::inproc::toml_check_failed(#expr))
#ifdef NDEBUG // TOML_ASSERT_ASSUME must be TOML_ASSERT, not an assumption
#define MDIVICOM_TOML_NDEBUG
#undef NDEBUG
#endif
#include <toml++/toml.h>
#ifdef MDIVICOM_TOML_NDEBUG
#define NDEBUG
#undef MDIVICOM_TOML_NDEBUG
#endif

#include <algorithm>
#include <optional>
#include <tuple>

namespace mdivicom::inproc {

namespace {

// What toml++ must not be given, found outside strings and comments: a dot past
// k_max_toml_dots (every level of table nesting beyond the 256 of inline values costs a dot in
// a key, so this bounds the depth before toml++ builds a single table), or a byte that is not
// ASCII (never valid TOML there: bare keys are ASCII; toml++ 3.3 reaches __builtin_unreachable
// on some such characters while it looks for whitespace).
std::optional<std::string> outside_strings_problem(std::string_view text)
{
  size_t dots = 0;
  size_t line = 1;
  // A quote opens a string only where TOML allows one (first on a line: a key; after = [ , { .:
  // a value, an element or a key part). Elsewhere it is part of a broken token, which toml++
  // reads as such, so what follows it must be checked too (a fuzzer found this).
  bool line_start = true;
  char last = '\n';
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    const bool opens_string =
        (c == '"' || c == '\'') && (line_start || std::string_view("=[,{.").find(last) != std::string_view::npos);
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '#') {
      line_start = false;
      last = c;
    }
    if (c == '\n') {
      ++line;
      line_start = true;
    } else if (c == '#') {
      i = std::min(text.find('\n', i), text.size()) - 1;
    } else if (opens_string) {
      bool multi = text.substr(i, 3) == std::string(3, c);
      std::string_view end = multi ? text.substr(i, 3) : text.substr(i, 1);
      size_t at = i + end.size();
      while (at < text.size() && text.substr(at, end.size()) != end) {
        line += text[at] == '\n' ? 1 : 0;
        if (c == '"' && text[at] == '\\' && at + 1 < text.size() && static_cast<unsigned char>(text[at + 1]) >= 0x80) {
          // Never a valid escape, and toml++'s error path classifies the character (see above).
          return "line " + std::to_string(line) + ": a backslash before a character that is not ASCII in a string";
        }
        at += c == '"' && text[at] == '\\' ? 2 : 1; // an escape never ends a basic string
      }
      i = std::min(at + end.size(), text.size()) - 1;
    } else if (c == '.' && ++dots > k_max_toml_dots) {
      return "line " + std::to_string(line) + ": more than " + std::to_string(k_max_toml_dots) +
             " dots outside strings, more than mdivicom reads (they nest tables too deep)";
    } else if (static_cast<unsigned char>(c) >= 0x80) {
      return "line " + std::to_string(line) + ": a character that is not ASCII outside a string or comment";
    }
  }
  return std::nullopt;
}

struct Found
{
  toml::source_position where;
  TomlKey key;
  std::string value;
};

// Every string under `root`, with an explicit stack: tables may nest deeply.
std::vector<Found> collect_strings(const toml::table& root)
{
  std::vector<Found> found;
  std::vector<std::pair<const toml::node*, TomlKey>> pending = {{&root, {}}};
  while (!pending.empty()) {
    auto [node, key] = std::move(pending.back());
    pending.pop_back();
    if (const auto* table = node->as_table()) {
      for (const auto& [name, child] : *table) {
        TomlKey child_key = key;
        child_key.emplace_back(name.str());
        pending.emplace_back(&child, std::move(child_key));
      }
    } else if (const auto* array = node->as_array()) {
      for (const auto& item : *array) {
        TomlKey item_key = key;
        item_key.emplace_back("[]");
        pending.emplace_back(&item, std::move(item_key));
      }
    } else if (const auto* text = node->as_string()) {
      found.push_back({node->source().begin, std::move(key), text->get()});
    }
  }
  return found;
}

} // namespace

Result<std::vector<std::pair<TomlKey, std::string>>> toml_strings(std::string_view text)
{
  if (auto problem = outside_strings_problem(text)) {
    return Failure{*problem};
  }
  std::optional<toml::parse_result> result;
  try {
    result = toml::parse(text);
  } catch (const std::runtime_error& error) {
    return Failure{std::string("malformed TOML: ") + error.what()};
  }
  toml::parse_result& parsed = *result;
  if (!parsed) {
    const toml::parse_error& error = parsed.error();
    return Failure{"line " + std::to_string(error.source().begin.line) + ": " + std::string(error.description())};
  }
  std::vector<Found> found = collect_strings(parsed.table());
  // toml++ keeps a table's keys sorted; the document's order is the values' positions.
  std::stable_sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return std::tie(a.where.line, a.where.column) < std::tie(b.where.line, b.where.column);
  });
  std::vector<std::pair<TomlKey, std::string>> strings;
  strings.reserve(found.size());
  for (auto& item : found) {
    strings.emplace_back(std::move(item.key), std::move(item.value));
  }
  return strings;
}

} // namespace mdivicom::inproc
