#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace mdivicom {

// What a redacted value is replaced with, in records, logs and on the terminal.
inline constexpr std::string_view k_redacted = "***REDACTED***";

// Whether a config key names a secret. The key is split into lowercase words at '_', '-', '.',
// ' ' and camelCase boundaries ("apiKey", "X-Api-Key" and "API_KEY" all become api_key), then:
// - the last word is token, secret(s), password(s), passwd, pwd, passphrase, passcode,
//   credential(s), creds, apikey(s), authorization, auth, bearer, jwt, cookie(s), privkey,
//   privatekey, secretkey or accesskey
//   (token, access_token, GITHUB_TOKEN, client_secret, db_pwd, proxy_authorization, basic_auth), or
// - the last word is key(s) after api, private, secret, access, signing, encryption,
//   decryption, session, ssh, gpg, pgp, rsa, hmac, master, client, account, shared, license,
//   deploy, auth, app, consumer or subscription (x_api_key, ssh_key, aws_secret_access_key), or
// - the last two words are connection string (a database's, with its password).
// The last word decides, so keys that name a count, an address, a path or a name of a secret
// stay visible: key, sort_key, primary_key, max_tokens, tokenizer_model, token_url,
// password_file, ssh_key_path, secret_name, author. Deliberately not secrets: "pass"
// (high_pass, low_pass are filter settings), "session" and "session_id" (a recording session),
// "signature" and "pin" (data features, electrode pins); a false positive hides a value from the
// record, a false negative needs the plugin's author to pick a name from this list.
bool is_secret_key(std::string_view name);

// Whether an environment variable's value is hidden from `--verbose`: is_secret_key, or a
// word token(s), secret(s), password(s), passwd, passphrase, credential(s), apikey or cookie
// anywhere in the name (GITHUB_TOKEN_V2, DB_PASSWORD_FILE), or a last word key(s) (STRIPE_KEY),
// or a name starting with AWS_. PWD and OLDPWD are the working directory, not passwords.
bool is_secret_env_name(std::string_view name);

// `text` with the password of every URL in it (scheme://user:password@host) replaced by
// k_redacted: https://ada:***REDACTED***@example.org/x. A user without a password stays.
std::string redact_url_credentials(std::string_view text);

// "NAME=value" as --verbose shows it: the value redacted when the name looks secret, else
// with the passwords of URLs in it redacted.
std::string redact_env_entry(std::string_view entry);

// A copy of `config` where the value of every secret key, at any depth (objects inside arrays
// too), is k_redacted; when that value is an object or array, all of it. null stays null:
// it hides nothing and shows that no secret was given. The passwords of URLs in other
// strings are redacted too (redact_url_credentials).
nlohmann::json redact(const nlohmann::json& config);

// The texts to scrub from everything a run writes or prints, longest first, no duplicates:
// for every value under a secret key (at any depth below it) and every URL password in the
// config,
// - a string of at least 4 bytes as it is, as JSON escapes it (with and without \u escapes of
//   non-ASCII), as Python's repr() shows it between the quotes and as urllib.parse.quote and
//   quote_plus encode it (a URL's password also decoded);
// - a number as Python's str() prints it (12345, 12345.0, 1e-05) and an integral float also
//   as an integer (12345.0 -> 12345), each when that text has at least 4 characters.
// Shorter values, booleans and null are left out: scrubbing "abc", "42" or "True" from a log
// would garble it and hide nothing a guess would not find. Integers past 64 bits are scrubbed
// as the float they parse to.
std::vector<std::string> secret_strings(const nlohmann::json& config);

// The values of the environment's variables (`env`: NAME=value entries, null-terminated, as
// `environ`) that the plugin inherits and could print: those whose name is_secret_env_name, of
// at least 8 bytes and not a path (DB_PASSWORD_FILE=/run/secrets/db names where the secret is).
std::vector<std::string> secret_env_values(const char* const* env);

} // namespace mdivicom
