#include "core/resultbundle/compat.hpp"

#include "core/resultbundle/pytext.hpp"
#include "core/util/utf8.hpp"

#include <string_view>

namespace mdivicom::resultbundle {

namespace {

using nlohmann::json;

struct SchemaVersion
{
  std::string major; // decimal digits without leading zeros, as Python's int() prints them
  std::string minor;
};

bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

std::string take_digits(std::string_view text, size_t& pos)
{
  const size_t start = pos;
  while (pos < text.size() && is_digit(text[pos])) {
    ++pos;
  }
  std::string digits(text.substr(start, pos - start));
  const size_t first = digits.find_first_not_of('0');
  return digits.empty() ? digits : first == std::string::npos ? "0" : digits.substr(first);
}

// The reference's pattern ^\s*(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?\s*$ (Python re semantics:
// "." stops at a newline, \s is Unicode whitespace). Only ASCII digits are accepted.
std::optional<SchemaVersion> parse_schema_version(std::string_view text)
{
  size_t pos = 0;
  const auto skip_space = [&] {
    while (pos < text.size()) {
      size_t next = pos;
      if (!python_isspace(next_code_point(text, next)))
        break;
      pos = next;
    }
  };
  skip_space();
  SchemaVersion version;
  version.major = take_digits(text, pos);
  if (version.major.empty() || pos >= text.size() || text[pos] != '.')
    return std::nullopt;
  ++pos;
  version.minor = take_digits(text, pos);
  if (version.minor.empty())
    return std::nullopt;
  if (pos + 1 < text.size() && text[pos] == '.' && is_digit(text[pos + 1])) {
    ++pos;
    take_digits(text, pos);
  }
  if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) {
    while (pos < text.size() && text[pos] != '\n')
      ++pos;
  }
  skip_space();
  if (pos != text.size())
    return std::nullopt;
  return version;
}

// a < b for a non-negative decimal `a` without leading zeros.
bool less_than(const std::string& a, int64_t b)
{
  if (b <= 0)
    return false;
  const std::string bs = std::to_string(b);
  return a.size() != bs.size() ? a.size() < bs.size() : a < bs;
}

json str_or_null(const json& value)
{
  return value.is_null() ? json() : json(python_str(value));
}

} // namespace

json CompatibilityDecision::to_json() const
{
  return {
      {"compatible", compatible},
      {"level", level},
      {"reason", reason},
      {"expected_type", expected_type},
      {"provided_type", provided_type},
      {"schema_version", schema_version},
  };
}

CompatibilityDecision check_compatibility(const json& sidecar, const std::string& expected_type,
                                          std::optional<int64_t> supported_major, std::optional<int64_t> min_minor)
{
  const json provided = sidecar.value("resultbundle_type", json());
  const json version = sidecar.value("schema_version", json());
  CompatibilityDecision decision;
  decision.expected_type = expected_type;
  decision.provided_type = str_or_null(provided);
  decision.schema_version = str_or_null(version);
  decision.level = "incompatible";

  if (!provided.is_string() || provided.get_ref<const std::string&>().empty()) {
    decision.reason = "Missing or invalid resultbundle_type in sidecar.";
    return decision;
  }
  const std::string provided_type = provided.get<std::string>();
  if (provided_type != expected_type) {
    decision.reason = "resultbundle_type mismatch: expected '" + expected_type + "', got '" + provided_type + "'.";
    return decision;
  }
  if (!version.is_string() || version.get_ref<const std::string&>().empty()) {
    decision.reason = "Missing or invalid schema_version in sidecar.";
    return decision;
  }
  const std::string version_text = version.get<std::string>();
  const auto parsed = parse_schema_version(version_text);
  if (!parsed) {
    decision.reason =
        "Invalid schema_version '" + version_text + "'. Expected SemVer-like version (for example 0.1.0).";
    return decision;
  }
  if (supported_major && parsed->major != std::to_string(*supported_major)) {
    decision.reason =
        "schema_version major mismatch: supported " + std::to_string(*supported_major) + ", got " + parsed->major + ".";
    return decision;
  }
  decision.compatible = true;
  if (min_minor && less_than(parsed->minor, *min_minor)) {
    decision.level = "warn";
    decision.reason =
        "schema_version minor is older than preferred minimum: expected >= " + std::to_string(*min_minor) + ", got " +
        parsed->minor + ".";
    return decision;
  }
  decision.level = "compatible";
  decision.reason = "resultbundle_type and schema_version are compatible with current policy.";
  return decision;
}

} // namespace mdivicom::resultbundle
