#include "core/config/redact.hpp"
#include "core/config/redact_scrub.hpp"

#include <catch2/catch.hpp>

using mdivicom::is_secret_env_name;
using mdivicom::is_secret_key;
using mdivicom::redact;
using mdivicom::redact_env_entry;
using mdivicom::redact_url_credentials;
using mdivicom::scrub;
using mdivicom::scrub_json;
using mdivicom::secret_env_values;
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
                          "signing_key",
                          "pwd",
                          "db_pwd",
                          "ssh_key",
                          "sshKey",
                          "gpg_key",
                          "client_key",
                          "license_key",
                          "account_key",
                          "passcode",
                          "creds",
                          "session_cookie",
                          "cookies",
                          "bearer",
                          "jwt",
                          "privkey",
                          "secretKey",
                          "connection_string",
                          "ConnectionString"}) {
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
                          "region",
                          "tokenizer_model",
                          "tokenizerModel",
                          "ssh_key_path",
                          "private_key_file",
                          "pwd_dir",
                          "high_pass",
                          "low_pass",
                          "session",
                          "session_id",
                          "signature",
                          "pin",
                          "cookie_name",
                          "connection",
                          "keyboard"}) {
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
  CHECK(secrets == std::vector<std::string>{"deep-secret", "sk-live-abc", "client-1", "hunter22", "quo%22te",
                                            "quo\\\"te", "123456", "quo\"te"});
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

TEST_CASE("redact: numbers under secret keys are scrubbed as Python prints them, short ones are not", "[core][redact]")
{
  json config = json::parse(R"({"password": 12345, "pin_token": 42, "db": {"passwd": 12345.0},
                                "otp": {"secret": 1e-05}, "auth": true, "pwd": 0.5, "token": -98765})");
  auto secrets = secret_strings(config);
  std::sort(secrets.begin(), secrets.end());
  CHECK(secrets == std::vector<std::string>{"-98765", "12345", "12345.0", "1e-05"});
  CHECK(scrub("pin=12345.0 float 1e-05 int 12345, neg -98765; 42 stays", secret_strings(config)) ==
        "pin=***REDACTED*** float ***REDACTED*** int ***REDACTED***, neg ***REDACTED***; 42 stays");
}

TEST_CASE("redact: a secret string is also scrubbed in its JSON-escaped, Python repr and URL-quoted forms",
          "[core][redact]")
{
  json config = {{"api_key", "it's \"x\"\\w\xc3\xb6rd\n"}};
  auto secrets = secret_strings(config);
  std::vector<std::string> expected = {
      "it's \"x\"\\w\xc3\xb6rd\n", // as is
      R"(it's \"x\"\\w)"
      "\xc3\xb6"
      R"(rd\n)",                    // json.dumps(..., ensure_ascii=False)
      R"(it's \"x\"\\w\u00f6rd\n)", // json.dumps(...)
      R"(it\'s "x"\\w)"
      "\xc3\xb6"
      R"(rd\n)",                         // repr(...)[1:-1]
      "it%27s%20%22x%22%5Cw%C3%B6rd%0A", // urllib.parse.quote(...)
      "it%27s+%22x%22%5Cw%C3%B6rd%0A",   // urllib.parse.quote_plus(...)
  };
  for (const auto& form : expected) {
    INFO(form);
    CHECK(std::find(secrets.begin(), secrets.end(), form) != secrets.end());
  }
  CHECK(secrets.size() == expected.size());
}

TEST_CASE("redact: URL passwords in any config string are redacted in the record and scrubbed", "[core][redact]")
{
  json config = {{"db_url", "postgres://ada:hunter22@db.example.org:5432/x"},
                 {"mirror", "https://example.org/a@b"},
                 {"git", "ssh://git@example.org/repo"}};
  CHECK(redact(config)["db_url"] == "postgres://ada:***REDACTED***@db.example.org:5432/x");
  CHECK(redact(config)["mirror"] == config["mirror"]);
  CHECK(redact(config)["git"] == config["git"]);
  CHECK(secret_strings(config) == std::vector<std::string>{"hunter22"});
  CHECK(secret_strings({{"url", "https://ada:p%40ss%2Fw0rd@h/x"}}) ==
        std::vector<std::string>{"p%2540ss%252Fw0rd", "p%40ss%2Fw0rd", "p%40ss/w0rd", "p@ss/w0rd"});
  CHECK(redact_url_credentials("a http://u:p@ss@h/x and https://v:w0rd@h2 end") ==
        "a http://u:***REDACTED***@h/x and https://v:***REDACTED***@h2 end");
}

TEST_CASE("redact: scrub_json scrubs every string of an error or facts but leaves digests intact", "[core][redact]")
{
  const std::string digest = "sha256:12345abcdef" + std::string(53, '0');
  json error = {
      {"message", "bad key 12345"}, {"traceback", {"line 1", "ValueError: 12345"}}, {"image", digest}, {"code", 12345}};
  scrub_json(error, {"12345"});
  CHECK(error["message"] == "bad key ***REDACTED***");
  CHECK(error["traceback"][1] == "ValueError: ***REDACTED***");
  CHECK(error["image"] == digest);
  CHECK(error["code"] == 12345);
}

TEST_CASE("redact: environment variables with secret-looking names are hidden from --verbose", "[core][redact]")
{
  for (const char* name :
       {"GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_PROFILE", "DB_PASSWORD_FILE", "STRIPE_KEY",
        "NPM_TOKEN", "OPENAI_API_KEY", "MY_SECRET_VALUE", "CI_JOB_TOKEN", "GH_TOKENS", "DOCKER_AUTH", "MYSQL_PWD"}) {
    INFO(name);
    CHECK(is_secret_env_name(name));
  }
  for (const char* name : {"PWD", "OLDPWD", "PATH", "HOME", "SSH_AUTH_SOCK", "TOKENIZERS_PARALLELISM", "LANG",
                           "XAUTHORITY", "KEYBOARD_LAYOUT", "MDIVICOM_PYTHON_ENV"}) {
    INFO(name);
    CHECK_FALSE(is_secret_env_name(name));
  }
  CHECK(redact_env_entry("GITHUB_TOKEN=ghp_abc123") == "GITHUB_TOKEN=***REDACTED***");
  CHECK(redact_env_entry("HTTPS_PROXY=http://ada:p4ss@proxy:3128") ==
        "HTTPS_PROXY=http://ada:***REDACTED***@proxy:3128");
  CHECK(redact_env_entry("PWD=/home/ada") == "PWD=/home/ada");
  CHECK(redact_env_entry("ODD") == "ODD");
}

TEST_CASE("redact: the values of secret environment variables are scrubbed, short ones and paths are not",
          "[core][redact]")
{
  const char* env[] = {"GITHUB_TOKEN=ghp_abcdef123",
                       "DB_PASSWORD_FILE=/run/secrets/db",
                       "API_TOKEN=short",
                       "HOME=/root",
                       "LANG=C.UTF-8-long-enough",
                       "NOEQUALS",
                       "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI",
                       nullptr};
  CHECK(secret_env_values(env) == std::vector<std::string>{"ghp_abcdef123", "wJalrXUtnFEMI"});
  CHECK(secret_env_values(nullptr).empty());
}
