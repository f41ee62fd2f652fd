#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/util/error.hpp"

namespace re2 {
class RE2;
}

namespace mdivicom {

// The longest "pattern" (or patternProperties key) a schema may hold, in bytes, and the
// largest program RE2 may compile it to. No real schema comes near either (".{1000}" is 8,004
// instructions); together they bound what compiling and matching one pattern can cost.
inline constexpr size_t k_max_pattern_bytes = 4096;
inline constexpr size_t k_max_pattern_program = 10000;

// A JSON Schema regular expression ("pattern", the keys of "patternProperties"), matched with
// RE2: no recursion and no backtracking, so a hostile schema can neither overflow the stack
// nor run for ages (std::regex, which valijson uses, does both). Matching costs at most about
// subject bytes x program() steps, when RE2's DFA gives up and its NFA takes over;
// PatternMatching bounds that product. RE2 reads the subset of ECMA-262 that JSON Schema
// recommends and more, but has no backreferences, lookahead or lookbehind: such a pattern is
// refused when the schema is compiled.
class SchemaPattern
{
public:
  // The compiled pattern, or why mdivicom refuses it (`pattern "(a)\\1" is not supported:
  // ...`): syntax RE2 lacks, invalid syntax, or too large.
  static Result<SchemaPattern> compile(std::string_view pattern);

  ~SchemaPattern();
  SchemaPattern(SchemaPattern&&) noexcept;
  SchemaPattern& operator=(SchemaPattern&&) noexcept;

  // Whether the pattern matches somewhere in `subject` (JSON Schema's search: not anchored).
  // Thread-safe. Throws std::bad_alloc only.
  bool search(std::string_view subject) const;

  // The size of RE2's program, in instructions: the cost of one subject byte, at worst.
  size_t program() const { return m_program; }

private:
  SchemaPattern(std::unique_ptr<re2::RE2> regex, size_t program);
  std::unique_ptr<re2::RE2> m_regex; // complete in pattern.cpp, where the destructor is

  size_t m_program = 0;
};

// `pattern` as the user wrote it in JSON, cut to 80 characters: "^[a-z]+$".
std::string quoted_pattern(std::string_view pattern);

// The most different patterns one schema may hold (each costs an RE2 program).
inline constexpr size_t k_max_schema_patterns = 500;
// Matching one document against a schema's patterns may cost at most this many steps (string
// bytes x RE2 instructions, summed): ~2 s at RE2's worst, milliseconds as a rule.
inline constexpr size_t k_max_pattern_work = size_t{1} << 28;

// Every pattern of one schema, compiled when the schema is (so that a pattern RE2 cannot match
// is refused then, whatever the document). Only read once compiled: threads may share it.
class SchemaPatterns
{
public:
  // Compiles `pattern` unless it is already there. Throws Error with the reason it is refused
  // (SchemaPattern::compile's, a NUL byte, more than k_max_schema_patterns).
  void add(const std::string& pattern);
  const SchemaPattern* find(std::string_view pattern) const;

private:
  std::map<std::string, SchemaPattern, std::less<>> m_patterns;
};

// The matching of one document against a schema's patterns, bounded by k_max_pattern_work. A
// document past the bound is refused as too long to check, never accepted unchecked.
class PatternMatching
{
public:
  explicit PatternMatching(const SchemaPatterns& patterns) : m_patterns(patterns) {}

  // Whether `pattern` (one of the schema's) matches in `subject`, the string at `pointer`.
  // Past the bound: false, and refusal() says why from then on.
  bool matches(std::string_view pattern, std::string_view subject, const std::function<std::string()>& pointer);
  // Where and why the document could not be checked: {JSON pointer, message}.
  const std::optional<std::pair<std::string, std::string>>& refusal() const { return m_refusal; }

private:
  const SchemaPatterns& m_patterns;
  size_t m_work = 0;
  std::optional<std::pair<std::string, std::string>> m_refusal;
};

} // namespace mdivicom
