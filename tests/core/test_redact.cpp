#include "core/redact.hpp"

#include <catch2/catch.hpp>

using mdivicom::is_secret_key;
using mdivicom::redact;
using mdivicom::scrub;
using mdivicom::secret_strings;
using mdivicom::StreamScrubber;
using nlohmann::json;

TEST_CASE("redact recognizes secret-looking keys in any case and spelling", "[core][redact]")
{
  for (const char* key : {"api_key",
                          "API_KEY",
                          "apiKey",
                          "ApiKey",
                          "APIKey",
                          "apikey",
                          "x-api-key",
                          "X-Api-Key",
                          "token",
                          "access_token",
                          "accessToken",
                          "refresh_token",
                          "GITHUB_TOKEN",
                          "auth_token",
                          "secret",
                          "client_secret",
                          "clientSecret",
                          "secrets",
                          "password",
                          "db_password",
                          "PASSWORD",
                          "passwd",
                          "passphrase",
                          "private_key",
                          "ssh_private_key",
                          "privateKey",
                          "secret_key",
                          "aws_secret_access_key",
                          "access_key",
                          "credentials",
                          "gcp.credentials",
                          "auth",
                          "basic_auth",
                          "authorization",
                          "Proxy-Authorization",
                          "api_keys",
                          "signing_key"}) {
    INFO(key);
    CHECK(is_secret_key(key));
  }
}

TEST_CASE("redact leaves alone keys that merely contain key, token or secret", "[core][redact]")
{
  for (const char* key : {"key",
                          "keys",
                          "Key",
                          "key_columns",
                          "keyColumns",
                          "sort_key",
                          "start_key",
                          "end_key",
                          "primary_key",
                          "max_tokens",
                          "tokens",
                          "token_url",
                          "tokenizer",
                          "token_count",
                          "password_file",
                          "secret_name",
                          "credentials_path",
                          "author",
                          "authors",
                          "monkey",
                          "hockey",
                          "",
                          "_",
                          "threshold",
                          "region"}) {
    INFO(key);
    CHECK_FALSE(is_secret_key(key));
  }
}

TEST_CASE("redact replaces secret values at any depth, in arrays too, and whole objects", "[core][redact]")
{
  json config = json::parse(R"({
    "cloud": {"api_key": "sk-live-abc", "region": "eu", "token": 123456},
    "accounts": [{"user": "ada", "password": "hunter22"}, {"user": "bob", "password": null}],
    "credentials": {"client_id": "x", "nested": ["a", "b"]},
    "secrets": ["one", "two"],
    "key_columns": {"t": "timestamp"},
    "threshold": 0.5
  })");
  json redacted = redact(config);
  CHECK(redacted["cloud"]["api_key"] == "***REDACTED***");
  CHECK(redacted["cloud"]["token"] == "***REDACTED***");
  CHECK(redacted["cloud"]["region"] == "eu");
  CHECK(redacted["accounts"][0]["password"] == "***REDACTED***");
  CHECK(redacted["accounts"][0]["user"] == "ada");
  CHECK(redacted["accounts"][1]["password"].is_null());
  CHECK(redacted["credentials"] == "***REDACTED***");
  CHECK(redacted["secrets"] == "***REDACTED***");
  CHECK(redacted["key_columns"] == config["key_columns"]);
  CHECK(redacted["threshold"] == 0.5);
  CHECK(config["cloud"]["api_key"] == "sk-live-abc"); // the original is untouched
  CHECK(redact(json::array({config})).at(0) == redacted);
}

TEST_CASE("redact: secret_strings lists every secret value long enough to scrub, longest first", "[core][redact]")
{
  json config = json::parse(R"({
    "cloud": {"api_key": "sk-live-abc", "pin_token": 123456, "region": "eu-west-1"},
    "accounts": [{"password": "hunter22"}, {"password": "abc"}],
    "credentials": {"client_id": "client-1", "nested": ["deep-secret"]},
    "auth": "quo\"te"
  })");
  auto secrets = secret_strings(config);
  // Ties in length come in byte order, so the list is the same on every run.
  CHECK(secrets == std::vector<std::string>{"deep-secret", "sk-live-abc", "client-1", "hunter22", "quo\\\"te", "123456",
                                            "quo\"te"});
}

TEST_CASE("redact: scrub replaces every occurrence of every secret in log text", "[core][redact]")
{
  std::vector<std::string> secrets = {"hunter22", "sk-live-abc"};
  CHECK(scrub("login hunter22 with sk-live-abc; again hunter22.", secrets) ==
        "login ***REDACTED*** with ***REDACTED***; again ***REDACTED***.");
  CHECK(scrub("nothing to hide", secrets) == "nothing to hide");
  CHECK(scrub("abcdef", {"abcd", "abcdef"}) == "***REDACTED***"); // the longer secret wins
  CHECK(scrub("", secrets).empty());
}

TEST_CASE("redact: a secret split across chunks of live output is still scrubbed", "[core][redact]")
{
  StreamScrubber scrubber({"hunter22", "sk-live-abc"});
  std::string shown;
  for (const char* chunk : {"user ada pass hun", "ter", "22 and key s", "k-live", "-abc done\nhunte", "r? no"}) {
    shown += scrubber.feed(chunk);
  }
  shown += scrubber.finish();
  CHECK(shown == "user ada pass ***REDACTED*** and key ***REDACTED*** done\nhunter? no");
}

TEST_CASE("redact: the stream scrubber holds back nothing that cannot start a secret", "[core][redact]")
{
  StreamScrubber scrubber({"hunter22"});
  CHECK(scrubber.feed("progress 10%\n") == "progress 10%\n");
  CHECK(scrubber.feed("hun") == "");
  CHECK(scrubber.feed("gry\n") == "hungry\n");
  CHECK(scrubber.finish().empty());
}
