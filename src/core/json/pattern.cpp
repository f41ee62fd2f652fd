// The one file that includes RE2 (linked from its static archive: no shared library to load at
// start, see CMakeLists.txt).
#include "core/json/pattern.hpp"

#include <re2/re2.h>

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace mdivicom {

namespace {

// RE2's memory budget per pattern: its program and the cache of its DFA, which is filled only
// as subjects need it. RE2's default; a smaller cache makes the DFA give up (and the NFA, ~30x
// slower, take over) on patterns as plain as "[ab]{500}c".
constexpr int64_t k_pattern_memory = int64_t{8} << 20;

// Why RE2 refused the pattern ("is not supported: ..."), in ECMA-262's terms where the pattern
// uses a feature RE2 lacks.
std::string refusal(const re2::RE2& regex, std::string_view pattern)
{
  const std::string& arg = regex.error_arg();
  const std::string rewrite = "; mdivicom matches patterns with RE2, which has no backreferences, lookahead or "
                              "lookbehind: rewrite the pattern without them";
  switch (regex.error_code()) {
  case re2::RE2::ErrorBadEscape:
    if (arg.size() == 2 && ((arg[1] >= '1' && arg[1] <= '9') || arg[1] == 'k')) {
      return "is not supported: a backreference (" + arg + ")" + rewrite;
    }
    if (arg == "\\u") {
      return "is not supported: the escape \\u (write the character itself, or \\x{hex} as RE2 does)";
    }
    break;
  case re2::RE2::ErrorBadPerlOp:
    if (arg == "(?=" || arg == "(?!") {
      return "is not supported: a lookahead (" + arg + ")" + rewrite;
    }
    if (arg == "(?<") {
      size_t at = pattern.find("(?<");
      char next = at != std::string_view::npos && at + 3 < pattern.size() ? pattern[at + 3] : '\0';
      if (next == '=' || next == '!') {
        return "is not supported: a lookbehind (" + arg + next + ")" + rewrite;
      }
      return "is not supported: a named group written (?<name>...) (RE2 writes it (?P<name>...))";
    }
    break;
  case re2::RE2::ErrorPatternTooLarge:
    return "is not supported: too large for RE2's " + std::to_string(k_pattern_memory >> 20) + " MiB; simplify it";
  default: break;
  }
  return "is not a valid regular expression for RE2 (" + regex.error() + ")";
}

} // namespace

std::string quoted_pattern(std::string_view pattern)
{
  constexpr size_t k_shown = 80;
  std::string text =
      nlohmann::json(std::string(pattern)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return text.size() > k_shown ? text.substr(0, k_shown - 4) + "...\"" : text;
}

Result<SchemaPattern> SchemaPattern::compile(std::string_view pattern)
{
  const std::string named = "pattern " + quoted_pattern(pattern) + " ";
  if (pattern.size() > k_max_pattern_bytes) {
    return Failure{named + "is not supported: longer than " + std::to_string(k_max_pattern_bytes) + " bytes"};
  }
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_never_capture(true); // a match or not is all JSON Schema asks
  options.set_max_mem(k_pattern_memory);
  auto regex = std::make_unique<re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!regex->ok()) {
    return Failure{named + refusal(*regex, pattern)};
  }
  auto program = static_cast<size_t>(regex->ProgramSize());
  if (program > k_max_pattern_program) {
    return Failure{named + "is not supported: RE2 compiles it to " + std::to_string(program) +
                   " instructions, more than the " + std::to_string(k_max_pattern_program) +
                   " mdivicom accepts; simplify it"};
  }
  return SchemaPattern(std::move(regex), program);
}

SchemaPattern::SchemaPattern(std::unique_ptr<re2::RE2> regex, size_t program)
  : m_regex(std::move(regex)), m_program(program)
{}
SchemaPattern::~SchemaPattern() = default;
SchemaPattern::SchemaPattern(SchemaPattern&&) noexcept = default;
SchemaPattern& SchemaPattern::operator=(SchemaPattern&&) noexcept = default;

bool SchemaPattern::search(std::string_view subject) const
{
  return re2::RE2::PartialMatch(re2::StringPiece(subject.data(), subject.size()), *m_regex);
}

void SchemaPatterns::add(const std::string& pattern)
{
  if (m_patterns.count(pattern) != 0) {
    return;
  }
  if (pattern.find('\0') != std::string::npos) { // valijson keeps a pattern up to its first NUL
    throw Error("pattern " + quoted_pattern(pattern) + " is not supported: it contains a NUL character");
  }
  if (m_patterns.size() == k_max_schema_patterns) {
    throw Error("more than " + std::to_string(k_max_schema_patterns) +
                " different patterns, the most mdivicom accepts");
  }
  m_patterns.emplace(pattern, SchemaPattern::compile(pattern).take_or_throw());
}

const SchemaPattern* SchemaPatterns::find(std::string_view pattern) const
{
  auto it = m_patterns.find(pattern);
  return it == m_patterns.end() ? nullptr : &it->second;
}

bool PatternMatching::matches(std::string_view pattern, std::string_view subject,
                              const std::function<std::string()>& pointer)
{
  const SchemaPattern* compiled = m_patterns.find(pattern);
  if (compiled == nullptr) {
    throw std::logic_error("pattern " + quoted_pattern(pattern) + " was not compiled with its schema");
  }
  size_t work = (subject.size() + 1) * compiled->program();
  if (m_refusal || work > k_max_pattern_work - m_work) {
    if (!m_refusal) {
      m_refusal.emplace(pointer(), "the string (" + std::to_string(subject.size()) +
                                       " bytes) is too long to check against pattern " + quoted_pattern(pattern) +
                                       " with the rest of the document (mdivicom matches at most " +
                                       std::to_string(k_max_pattern_work) +
                                       " string bytes x pattern instructions per document); shorten it");
    }
    return false;
  }
  m_work += work;
  return compiled->search(subject);
}

} // namespace mdivicom
