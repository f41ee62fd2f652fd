#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace mdivicom {

// What a redacted value is replaced with, in records and logs.
inline constexpr std::string_view k_redacted = "***REDACTED***";

// Whether a config key names a secret. The key is split into lowercase words at '_', '-', '.',
// ' ' and camelCase boundaries ("apiKey", "X-Api-Key" and "API_KEY" all become api_key), then:
// - the last word is token, secret, secrets, password, passwords, passwd, passphrase,
//   credential, credentials, apikey, authorization or auth
//   (token, access_token, GITHUB_TOKEN, client_secret, db_password, proxy_authorization, basic_auth), or
// - the last two words are api key(s), private key, secret key, access key, signing key,
//   encryption key or session key (x_api_key, ssh_private_key, aws_secret_access_key).
// "key" alone is not a secret, nor is any other "..._key" (key_columns, sort_key, start_key),
// nor "max_tokens", "token_url" or "password_file": the last word decides, and those name a
// count, an address or a path. A false positive only hides a value from the record.
bool is_secret_key(std::string_view name);

// A copy of `config` where the value of every secret key, at any depth (objects inside arrays
// too), is k_redacted; when that value is an object or array, all of it. null stays null:
// it hides nothing and shows that no secret was given.
nlohmann::json redact(const nlohmann::json& config);

// Every string under a secret key (at any depth below it) of at least 4 bytes, plus integers'
// text, and the JSON-escaped form when it differs; longest first, no duplicates. Shorter
// values are left out: scrubbing "abc" from a log would garble it and hide nothing.
std::vector<std::string> secret_strings(const nlohmann::json& config);

// `text` with every occurrence of every secret replaced by k_redacted, longest secret first.
std::string scrub(std::string_view text, const std::vector<std::string>& secrets);

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
