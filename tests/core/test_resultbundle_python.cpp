// Differential tests against Debian's /usr/bin/python3, the interpreter the reference runs
// on: JSON error messages, str() of values, str.strip() and Path.resolve() must match.
#include "core/resultbundle/load.hpp"
#include "core/resultbundle/paths.hpp"
#include "core/resultbundle/pytext.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <sstream>

namespace rb = mdivicom::resultbundle;
namespace fs = std::filesystem;
using mdivicom::test::run_command;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;
using nlohmann::json;

namespace {

const char* const k_python = "/usr/bin/python3";

// Runs `script` with the files' paths as arguments; it prints one JSON line per file.
std::vector<json> python_lines(const std::string& script, const std::vector<fs::path>& files)
{
  std::vector<std::string> argv = {k_python, "-c", script};
  for (const auto& file : files) {
    argv.push_back(file.string());
  }
  const auto result = run_command(argv);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  std::vector<json> lines;
  std::istringstream stream(result.out);
  for (std::string line; std::getline(stream, line);) {
    lines.push_back(json::parse(line));
  }
  REQUIRE(lines.size() == files.size());
  return lines;
}

std::vector<fs::path> write_cases(const TempDir& dir, const std::vector<std::string>& texts)
{
  std::vector<fs::path> files;
  for (size_t i = 0; i < texts.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "case_%05zu.json", i);
    files.push_back(dir / name);
    write_file(files.back(), texts[i]);
  }
  return files;
}

const char* const k_sample =
    "{\r\n  \"resultbundle_type\": \"caf\xc3\xa9.\xe2\x82\xac\",\n  \"n\": [0, -1.5e-3, 1E+2, 12, true, "
    "false, null],\n  \"s\": \"a\\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\",\n  \"o\": "
    "{\"x\": {}, \"y\": []}\n}\n";

std::vector<std::string> malformed_texts()
{
  std::vector<std::string> texts = {
      "",
      " ",
      "\n\n",
      "{",
      "}",
      "[",
      "]",
      "[1,]",
      "[1 2]",
      "{\"a\" 1}",
      "{\"a\":}",
      "{1:2}",
      "{\"a\":1,}",
      "\"abc",
      "\"a\\x\"",
      "\"\\u12\"",
      "\"\\u12G4\"",
      "\"\\ud800\\u12G4\"",
      "tru",
      "nul",
      "fals",
      "-",
      "-a",
      "01",
      "1.",
      "1.e5",
      "1e",
      "1e+",
      ".5",
      "+1",
      "[1]x",
      "\"a\tb\"",
      "\"a\nb\"",
      "[\"\xc3\xa9\", 1,]",
      "{\"\xc3\xa9\": \"\xc3\xbc\" ,}",
      "\r\n{\r\n\"a\":\r\n}",
      "\r{",
      "a\r\nb",
      "[1,\n2,\n,3]",
      "{\"a\":1}}",
      std::string(1, '\0'),
      "[\"\xe2\x82\xac\", tru]",
      "\"\\\"",
      "\"\\u00e9\\",
      "\"\\ud83d\\ude00\" x",
      "[-]",
      "[-0.5e-3, 1E+2, 0e0, 1.5E]",
      "[1.5e+]",
      "{\"a\"",
      "{\"a\":1",
      "[\"\\u",
      "[\"\\u00",
      "\"\\",
      "{\"k\": \"v\" \"w\"}",
      "[1, 2",
      "\xef\xbb\xbf{}",
      " \xef\xbb\xbf{}",
  };
  const std::string sample = k_sample;
  for (size_t cut = 0; cut < sample.size(); ++cut) {
    if ((static_cast<unsigned char>(sample[cut]) & 0xC0) != 0x80) { // whole code points only
      texts.push_back(sample.substr(0, cut));
    }
  }
  for (size_t drop = 0; drop < sample.size(); ++drop) {
    const auto byte = static_cast<unsigned char>(sample[drop]);
    if (byte < 0x80) {
      texts.push_back(sample.substr(0, drop) + sample.substr(drop + 1));
    }
  }
  return texts;
}

} // namespace

TEST_CASE("resultbundle JSON errors read exactly like Python's json.loads errors", "[core][resultbundle][python]")
{
  TempDir dir;
  const auto texts = malformed_texts();
  const auto files = write_cases(dir, texts);
  const auto answers = python_lines(R"(
import json, pathlib, sys
for name in sys.argv[1:]:
    try:
        value = json.loads(pathlib.Path(name).read_text(encoding="utf-8"))
        dump = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
        try:
            dump.encode("utf-8")
            print(json.dumps({"dump": dump}))
        except UnicodeEncodeError:  # a lone surrogate: Python could not print it either
            print(json.dumps({"unprintable": True}))
    except json.JSONDecodeError as exc:
        print(json.dumps({"error": "Could not parse sidecar JSON: " + str(exc)}))
)",
                                    files);
  size_t errors = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    INFO("text: " << json(texts[i]).dump(-1, ' ', false, json::error_handler_t::replace));
    const auto ours = rb::load_sidecar_json(files[i]);
    if (answers[i].contains("error")) {
      ++errors;
      REQUIRE_FALSE(ours.ok());
      CHECK(ours.error() == answers[i]["error"].get<std::string>());
    } else if (answers[i].contains("unprintable")) {
      REQUIRE_FALSE(ours.ok());
      CHECK_THAT(ours.error(), Catch::Contains("lone surrogate escape is not valid text"));
    } else {
      REQUIRE(ours.ok());
      CHECK(ours->dump(2) == answers[i]["dump"].get<std::string>());
    }
  }
  CHECK(errors > 100);
}

TEST_CASE("accepted resultbundle JSON prints like Python's json.dumps(indent=2, sort_keys=True)",
          "[core][resultbundle][python]")
{
  TempDir dir;
  const std::vector<std::string> texts = {
      k_sample,
      // Floats in [1e15, 1e16) are left out: nlohmann prints 1e+15 where Python prints 1000000000000000.0.
      "{\"b\": 1, \"a\": [0.1, 1e-7, -0.0, 100.0, 1.5e300, 12345678901234567890, 5e-324, 2.5, 1e16, 1e22, "
      "123456789012345.6, 0.0001, 0.00001, 1e17]}",
      "{\"ctl\": \"\\u0000\\u001f\\u007f\\u2028\", \"dup\": 1, \"dup\": 2, \"\xe4\xb8\xad\": \"\\ud83d\\ude00\"}",
      "[[], {}, [[]], {\"a\": {}}, \"\"]",
      "-12",
  };
  const auto files = write_cases(dir, texts);
  const auto answers = python_lines(R"(
import json, pathlib, sys
for name in sys.argv[1:]:
    value = json.loads(pathlib.Path(name).read_text(encoding="utf-8"))
    print(json.dumps({"dump": json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)}))
)",
                                    files);
  for (size_t i = 0; i < files.size(); ++i) {
    INFO("text: " << texts[i]);
    const auto ours = rb::load_sidecar_json(files[i]);
    REQUIRE(ours.ok());
    CHECK(ours->dump(2) == answers[i]["dump"].get<std::string>());
  }
}

TEST_CASE("resultbundle messages use Python's str(), truthiness and strip() of JSON values",
          "[core][resultbundle][python]")
{
  TempDir dir;
  const std::vector<std::string> texts = {
      "null",
      "true",
      "false",
      "0",
      "-7",
      "18446744073709551615",
      "0.0",
      "-0.0",
      "1.5",
      "1e-05",
      "0.0001",
      "1e16",
      "1e15",
      "123456789.125",
      "1.7976931348623157e308",
      "5e-324",
      "\"\"",
      "\" \\u3000x\\u00a0\\n\"",
      "\"\\u001c\"",
      "[]",
      "{}",
      "[1, \"a'b\", \"it's \\\"q\\\"\", null, [true]]",
      "[\"tab\\there\", \"\\u00e9\\u00a0\\u2028\\u0007\"]",
      "{\"k\": [0.5]}",
      "\"\\u0085a\\u0085\"",
  };
  const auto files = write_cases(dir, texts);
  const auto answers = python_lines(R"(
import json, pathlib, sys
for name in sys.argv[1:]:
    v = json.loads(pathlib.Path(name).read_text(encoding="utf-8"))
    print(json.dumps({"str": str(v), "truthy": bool(v), "strip": v.strip() if isinstance(v, str) else None}))
)",
                                    files);
  for (size_t i = 0; i < files.size(); ++i) {
    INFO("text: " << texts[i]);
    const json value = json::parse(texts[i]);
    CHECK(rb::python_str(value) == answers[i]["str"].get<std::string>());
    CHECK(rb::python_truthy(value) == answers[i]["truthy"].get<bool>());
    if (value.is_string()) {
      CHECK(rb::python_strip(value.get<std::string>()) == answers[i]["strip"].get<std::string>());
    }
  }
}

TEST_CASE("resultbundle paths resolve exactly as Python's Path.resolve() resolves them", "[core][resultbundle][python]")
{
  TempDir dir;
  const fs::path root = fs::canonical(dir.path());
  write_file(root / "real/deep/file.txt", "");
  fs::create_directory_symlink(root / "real/deep", root / "abs_link");
  fs::create_directory_symlink("real/deep", root / "rel_link");
  fs::create_directory_symlink("../..", root / "real/deep/up");
  fs::create_symlink("missing/target", root / "dangling");
  fs::create_symlink("chain2", root / "chain1");
  fs::create_symlink("rel_link/file.txt", root / "chain2");
  const std::vector<std::string> inputs = {
      "real/deep/file.txt",
      "abs_link/file.txt",
      "abs_link/../x",
      "rel_link/..",
      "rel_link/up/real",
      "dangling/z",
      "dangling/../y",
      "chain1",
      "nothere/../real/./deep//file.txt",
      "a/b/../../..",
      "/",
      "/..",
      ".",
      "real/deep/up/up/up",
      "missing/../abs_link",
      "chain1/../q",
  };
  std::vector<fs::path> files;
  for (const auto& input : inputs) {
    files.push_back(root / input);
  }
  const auto answers = python_lines(R"(
import json, pathlib, sys
for name in sys.argv[1:]:
    print(json.dumps(str(pathlib.Path(name).resolve())))
)",
                                    files);
  for (size_t i = 0; i < inputs.size(); ++i) {
    INFO("input: " << files[i]);
    const auto ours = rb::python_resolve(files[i]);
    REQUIRE(ours.ok());
    CHECK(ours->string() == answers[i].get<std::string>());
  }
}
