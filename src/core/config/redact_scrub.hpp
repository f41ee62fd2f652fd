#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace mdivicom {

// The secrets of secret_strings() and secret_env_values() (redact.hpp) taken out of what a run
// writes and prints.

// `text` with every occurrence of every secret replaced by k_redacted, longest secret first.
std::string scrub(std::string_view text, const std::vector<std::string>& secrets);

// Scrubs every string in `value`, at any depth (not the keys). Strings that are a hash or a
// digest (at least 32 hex digits, optionally after "sha256:"-like prefix) are left as they are:
// they reveal no secret, and a digest with a number scrubbed out of it would make the record lie.
void scrub_json(nlohmann::json& value, const std::vector<std::string>& secrets);

// scrub() for output that arrives in pieces (a plugin's live stdout): a secret split across
// two chunks is still caught. feed() returns what is safe to show now; it holds back only a
// tail that could be the start of a secret, so output stays live.
class StreamScrubber
{
public:
  explicit StreamScrubber(std::vector<std::string> secrets);
  std::string feed(std::string_view chunk);
  std::string finish(); // whatever was held back, scrubbed

private:
  std::vector<std::string> m_secrets;
  std::string m_pending;
};

} // namespace mdivicom
