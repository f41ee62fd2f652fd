#include "core/config/config.hpp"
#include "core/config/schema.hpp"

#include "core/util/error.hpp"
#include "core/hash/sha256.hpp"
#include "python_canonical.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace fs = std::filesystem;
using mdivicom::check_config_against_schema;
using mdivicom::Config;
using mdivicom::load_config;

namespace {

const fs::path k_configs = fs::path(MDIVICOM_TEST_DATA) / "configs";

// The message of the usage error `load` throws (and fails the test if it throws none).
template <typename F>
std::string usage_error_of(F load)
{
  try {
    load();
  } catch (const mdivicom::Error& e) {
    CHECK(e.code() == mdivicom::ExitCode::usage);
    return e.what();
  }
  FAIL("no error was thrown");
  return "";
}

std::string trimmed(std::string text)
{
  while (!text.empty() && text.back() == '\n') {
    text.pop_back();
  }
  return text;
}

std::vector<fs::path> files_in(const fs::path& dir, const std::string& extension)
{
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == extension) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

} // namespace

TEST_CASE("an empty --config is the empty object with Python's hash of {}", "[core][config]")
{
  Config config = load_config("");
  CHECK(config.canonical == "{}");
  CHECK(config.value == nlohmann::json::object());
  CHECK(config.source == "empty");
  // hashlib.sha256(b"{}").hexdigest()
  CHECK(config.hash == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
}

TEST_CASE("an inline --config is loaded and hashed as the reference hashes it", "[core][config]")
{
  Config config = load_config(R"({"threshold": 0.5, "name": "café", "big": 12345678901234567890123, "a": 1e-5})");
  CHECK(config.source == "inline");
  CHECK(config.canonical == R"({"a":1e-05,"big":12345678901234567890123,"name":"café","threshold":0.5})");
  auto python = mdivicom::test::python_canonical(
      {R"({"threshold": 0.5, "name": "café", "big": 12345678901234567890123, "a": 1e-5})"});
  CHECK(config.hash == python.at(0).sha256);
  CHECK(config.value["threshold"] == 0.5);
}

TEST_CASE("config files of the good corpus hash exactly as Python hashes them", "[core][config]")
{
  auto files = files_in(k_configs / "good", ".json");
  REQUIRE(files.size() >= 3);
  std::vector<std::string> texts;
  for (const auto& file : files) {
    texts.push_back(mdivicom::test::read_file(file));
  }
  auto python = mdivicom::test::python_canonical(texts);
  for (size_t i = 0; i < files.size(); ++i) {
    INFO(files[i]);
    Config config = load_config(files[i].string());
    REQUIRE(python[i].canonical);
    CHECK(config.canonical == *python[i].canonical);
    CHECK(config.hash == python[i].sha256);
    CHECK(config.source == "file:" + fs::absolute(files[i]).lexically_normal().string());
  }
}

TEST_CASE("every config of the bad corpus is refused with its expected message", "[core][config]")
{
  auto files = files_in(k_configs / "bad", ".json");
  REQUIRE(files.size() >= 20);
  for (const auto& file : files) {
    fs::path expected_file = fs::path(file).replace_extension(".error");
    INFO(file);
    REQUIRE(fs::exists(expected_file));
    std::string message = usage_error_of([&] { load_config(file.string()); });
    CHECK_THAT(message, Catch::StartsWith("config file " + file.string()) &&
                            Catch::Contains(trimmed(mdivicom::test::read_file(expected_file))));
  }
}

TEST_CASE("a --config that is neither a file nor JSON is refused naming both possibilities", "[core][config]")
{
  CHECK_THAT(
      usage_error_of([] { load_config("settings.json"); }),
      Catch::StartsWith(
          "--config 'settings.json' is neither an existing file nor valid JSON (line 1 column 1: expected a value"));
  CHECK_THAT(usage_error_of([] { load_config("{\"a\": 1,}"); }),
             Catch::Contains("neither an existing file nor valid JSON (line 1 column 9: expected a property name"));
  std::string long_text = "{\"k\": \"" + std::string(5000, 'x');
  std::string message = usage_error_of([&] { load_config(long_text); });
  CHECK_THAT(message, Catch::Contains("unterminated string"));
  CHECK(message.size() < 400); // the argument is quoted, not pasted whole
}

TEST_CASE("an inline config must be a JSON object", "[core][config]")
{
  CHECK_THAT(usage_error_of([] { load_config("[1, 2]"); }),
             Catch::Equals("--config: the config must be a JSON object such as {\"threshold\": 0.5}, not an array"));
  CHECK_THAT(usage_error_of([] { load_config("0.5"); }), Catch::EndsWith("not a number"));
}

TEST_CASE("a directory or an unreadable path given as --config is refused with the path", "[core][config]")
{
  mdivicom::test::TempDir dir;
  CHECK_THAT(usage_error_of([&] { load_config(dir.path().string()); }),
             Catch::Contains(dir.path().string()) && Catch::Contains("is a directory"));
}

TEST_CASE("a --config file larger than 64 MiB is refused before it is read whole", "[core][config]")
{
  mdivicom::test::TempDir dir;
  fs::path huge = dir / "recording.json";
  mdivicom::test::write_file(huge, "{\"a\": \"");
  fs::resize_file(huge, 65u << 20); // sparse: costs no disk
  CHECK_THAT(usage_error_of([&] { load_config(huge.string()); }),
             Catch::Contains(huge.string()) && Catch::Contains("larger than 64 MiB"));
}

TEST_CASE("a config file with a byte order mark is refused, as the reference and sidecars refuse it", "[core][config]")
{
  CHECK_THAT(usage_error_of([] { load_config((k_configs / "bad" / "bom.json").string()); }),
             Catch::Contains("unexpected UTF-8 byte order mark (save the file without a BOM)"));
}

TEST_CASE("a --config file named like JSON text wins over the text, as in the reference", "[core][config]")
{
  mdivicom::test::TempDir dir;
  mdivicom::test::write_file(dir / "{}", R"({"from": "file"})");
  struct ChangeDirectory
  {
    fs::path previous = fs::current_path();
    explicit ChangeDirectory(const fs::path& to) { fs::current_path(to); }
    ~ChangeDirectory() { fs::current_path(previous); }
  } in_dir(dir.path());
  Config config = load_config("{}");
  CHECK(config.canonical == R"({"from":"file"})");
}

TEST_CASE("config schema violations name the plugin, the key, the value and the rule", "[core][config][schema]")
{
  auto files = files_in(k_configs / "schema", ".json");
  REQUIRE(files.size() >= 20);
  for (const auto& file : files) {
    INFO(file);
    auto cases = nlohmann::json::parse(mdivicom::test::read_file(file));
    Config config = load_config(cases["config"].dump());
    std::string message = usage_error_of([&] { check_config_against_schema(config, cases["schema"], "lab/x"); });
    CHECK_THAT(message, Catch::StartsWith("plugin lab/x: ") && Catch::Contains(cases["error"].get<std::string>()));
  }
}

TEST_CASE("a config that satisfies the schema, or a plugin without one, passes", "[core][config][schema]")
{
  Config config = load_config(R"({"threshold": 4.5, "mode": "fast", "cloud": {"region": "eu"}})");
  auto schema = nlohmann::json::parse(R"({
    "type": "object", "additionalProperties": false, "required": ["threshold"],
    "properties": {"threshold": {"type": "number", "maximum": 5}, "mode": {"enum": ["fast", "slow"]},
                   "cloud": {"type": "object", "properties": {"region": {"type": "string"}}}}})");
  CHECK_NOTHROW(check_config_against_schema(config, schema, "lab/x"));
  CHECK_NOTHROW(check_config_against_schema(config, nullptr, "lab/x"));
  CHECK_NOTHROW(check_config_against_schema(config, true, "lab/x"));
}

TEST_CASE("a recursive config schema whose $ref steps into a property still checks configs", "[core][config][schema]")
{
  auto schema = nlohmann::json::parse(R"({
    "definitions": {"node": {"type": "object", "properties": {"child": {"$ref": "#/definitions/node"},
                                                             "size": {"type": "integer"}}}},
    "$ref": "#/definitions/node"})");
  CHECK_NOTHROW(check_config_against_schema(load_config(R"({"child": {"child": {"size": 3}}})"), schema, "lab/x"));
  CHECK_THAT(usage_error_of([&] {
               check_config_against_schema(load_config(R"({"child": {"child": {"size": "big"}}})"), schema, "lab/x");
             }),
             Catch::Contains("/child/child/size"));
}

// The rule behind a $ref is not found by following the config's path, so the bound comes from
// valijson's report. It used to be the rest of valijson's text, "5.000000 (got 7)"; now it is
// the number valijson names, without its trailing zeros.
TEST_CASE("a bound broken behind a $ref is shown as a plain number", "[core][config][schema]")
{
  auto schema = nlohmann::json::parse(R"({
    "definitions": {"small": {"type": "integer", "maximum": 5}},
    "properties": {"n": {"$ref": "#/definitions/small"}}})");
  CHECK(usage_error_of([&] { check_config_against_schema(load_config(R"({"n": 7})"), schema, "lab/x"); }) ==
        "plugin lab/x: config /n: value 7 is greater than maximum 5");
}

TEST_CASE("a config schema $ref that is not a pointer into the schema itself is refused", "[core][config][schema]")
{
  // Found by fuzz_config_schema: valijson resolved "/b" against the schema and recursed forever.
  auto schema = nlohmann::json::parse(
      R"({"definitions": {"a": {"$ref": "/b"}, "b": {"$ref": "#/definitions/a"}}, "$ref": "#/definitions/a"})");
  CHECK_THAT(usage_error_of([&] { check_config_against_schema(load_config("{}"), schema, "lab/x"); }),
             Catch::Contains("$ref \"/b\" at #/definitions/a is not a pointer into this schema"));
}

TEST_CASE("a config too deep for a long chain of its schema's subschemas is refused before valijson recurses",
          "[core][config][schema]")
{
  // 100 subschemas applied to the same value at every level of a recursive schema: valijson
  // would recurse (depth + 1) * 101 times.
  nlohmann::json schema = {{"properties", {{"a", {{"$ref", "#"}}}}}};
  for (int i = 0; i < 99; ++i) {
    schema = {{"allOf", nlohmann::json::array({schema})}};
  }
  std::string shallow = R"({"a": {"a": 1}})";
  CHECK_NOTHROW(check_config_against_schema(load_config(shallow), schema, "lab/x"));
  std::string deep = std::string(40, '[');
  deep = "{\"a\": " + deep + std::string(40, ']') + "}";
  CHECK_THAT(usage_error_of([&] { check_config_against_schema(load_config(deep), schema, "lab/x"); }),
             Catch::StartsWith("plugin lab/x: the config nests 41 levels, too deep to check against "
                               "meta.config_schema"));
}

TEST_CASE("a config schema violation on a secret key never shows the secret", "[core][config][schema]")
{
  Config config = load_config(R"({"cloud": {"api_key": "sk-live-0123456789"}})");
  auto schema = nlohmann::json::parse(R"({"properties": {"cloud": {"properties": {"api_key": {"pattern": "^pk-"}}}}})");
  std::string message = usage_error_of([&] { check_config_against_schema(config, schema, "lab/x"); });
  CHECK_THAT(message, Catch::Contains("/cloud/api_key") && Catch::Contains("***REDACTED***"));
  CHECK_THAT(message, !Catch::Contains("sk-live"));
}

TEST_CASE("a config schema violation on an object holding a secret, or on a URL, shows neither secret",
          "[core][config][schema]")
{
  Config config = load_config(R"({"cloud": {"ssh_key": "ssh-ed25519-AAAA-secret"}, "db": "pg://ada:pw-9911@h/x"})");
  auto schema = nlohmann::json::parse(R"({"properties": {"cloud": {"type": "string"}, "db": {"pattern": "^https"}}})");
  std::string message = usage_error_of([&] { check_config_against_schema(config, schema, "lab/x"); });
  CHECK_THAT(message, Catch::Contains("/cloud") && Catch::Contains("/db") && Catch::Contains("***REDACTED***"));
  CHECK_THAT(message, !Catch::Contains("ed25519") && !Catch::Contains("pw-9911"));
}

// Hidden from ctest by "[.]": bench/config_hash.sh runs it to time hashing against Python.
TEST_CASE("config hash bench: print the hash of the file named by MDIVICOM_BENCH_CONFIG", "[.][bench]")
{
  const char* path = std::getenv("MDIVICOM_BENCH_CONFIG");
  REQUIRE(path != nullptr);
  std::cout << load_config(path).hash << "\n";
}
