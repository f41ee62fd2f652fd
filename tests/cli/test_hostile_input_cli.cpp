// Small hostile inputs (issue 15, class 5) and the answers that must agree (class 9), run
// through the real binary: each ends with a message and an exit code, never a crash.
#include <catch2/catch.hpp>

#include "support/builtin_manifests.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

using mdivicom::test::CommandOptions;
using mdivicom::test::CommandResult;
using mdivicom::test::run_command;
using mdivicom::test::run_mdivicom;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;

namespace fs = std::filesystem;

namespace {

const fs::path k_example_root = fs::path(MDIVICOM_SOURCE_DIR) / "examples" / "python" / "mdivicom-stream-inventory";
const fs::path k_example_dataset = fs::path(MDIVICOM_SOURCE_DIR) / "examples" / "dataset";

nlohmann::json manifest(const std::string& id, const std::string& kind = "python")
{
  nlohmann::json entry = kind == "python" ? nlohmann::json{{"callable", "pkg.mod:run"}}
                                          : nlohmann::json{{"image", "localhost/x:1"}, {"argv", {"true"}}};
  return {{"meta",
           {{"api_version", "mdivicomtools.plugin.v0.1"},
            {"id", id},
            {"kind", kind},
            {"version", "1.0.0"},
            {"description", "test"}}},
          {"entry", entry}};
}

struct Workspace
{
  TempDir root;
  fs::path manifests = root / "manifests";
  CommandOptions options;

  Workspace()
  {
    fs::create_directories(manifests);
    fs::create_directories(root / "dataset");
    options.env = {{"MDIVICOM_PLUGIN_PATH", manifests.string()},           {"XDG_DATA_HOME", (root / "xdg").string()},
                   {"XDG_CACHE_HOME", (root / "cache").string()},          {"HOME", root.path().string()},
                   {"MDIVICOM_DEV_PLUGIN_ROOTS", mdivicom::test::k_unset}, {"VIRTUAL_ENV", mdivicom::test::k_unset}};
  }

  void add(const std::string& name, const std::string& text) const { write_file(manifests / name, text); }
  CommandResult mdivicom(const std::vector<std::string>& args) const { return run_mdivicom(args, options); }
};

} // namespace

TEST_CASE("a manifest nested 100,000 levels deep is an error entry, and list, info and validate still answer",
          "[cli][hostile]")
{
  Workspace ws;
  ws.add("good.json", manifest("good").dump());
  std::string deep = manifest("deep").dump();
  deep.replace(deep.find("\"test\""), 6, std::string(100000, '[') + std::string(100000, ']'));
  ws.add("deep.json", deep);

  CommandResult list = ws.mdivicom({"plugins", "list"});
  CHECK(list.exit_code == 0);
  CHECK_THAT(list.out, Catch::Contains("deep\terror") && Catch::Contains("good\tpython\t1.0.0"));
  CHECK_THAT(list.err, Catch::Contains("nesting deeper than 512 levels"));
  CommandResult json_list = ws.mdivicom({"plugins", "list", "--json"});
  CHECK(json_list.exit_code == 0);
  CHECK(mdivicom::test::without_builtin_manifests(nlohmann::json::parse(json_list.out)).size() == 2);
  CommandResult info = ws.mdivicom({"plugins", "info", "deep"});
  CHECK(info.exit_code == 2);
  CHECK_THAT(info.err, Catch::Contains("plugin deep cannot be used") && Catch::Contains("nesting deeper than 512"));
  CHECK(ws.mdivicom({"plugins", "info", "good"}).exit_code == 0);
  CommandResult validate = ws.mdivicom({"plugins", "validate", (ws.manifests / "deep.json").string()});
  CHECK(validate.exit_code == 1);
  CHECK_THAT(validate.out, Catch::Contains("deep.json: malformed JSON: parse error at byte"));
}

TEST_CASE("a config_schema whose $ref loops on the same value fails validate and run with the loop named",
          "[cli][hostile]")
{
  Workspace ws;
  const std::vector<std::pair<std::string, nlohmann::json>> schemas = {
      {"self", {{"$ref", "#"}}},
      {"loop",
       {{"definitions", {{"a", {{"$ref", "#/definitions/b"}}}, {"b", {{"allOf", {{{"$ref", "#/definitions/a"}}}}}}}},
        {"$ref", "#/definitions/a"}}}};
  for (const auto& [id, schema] : schemas) {
    INFO(id);
    auto plugin = manifest(id);
    plugin["meta"]["config_schema"] = schema;
    ws.add(id + ".json", plugin.dump());
    CommandResult validate = ws.mdivicom({"plugins", "validate", (ws.manifests / (id + ".json")).string()});
    CHECK(validate.exit_code == 1);
    CHECK_THAT(validate.out, Catch::Contains("/meta/config_schema: a $ref cycle applies a subschema to the same "
                                             "value forever"));
    CommandResult run = ws.mdivicom({"run", id, "--dataset", (ws.root / "dataset").string(), "--out",
                                     (ws.root / "out").string(), "--config", "{\"a\": 1}"});
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Catch::Contains("a $ref cycle"));
    CHECK_FALSE(fs::exists(ws.root / "out"));
  }
}

TEST_CASE("a config_schema with $refs that recurse through properties stays valid", "[cli][hostile]")
{
  Workspace ws;
  auto plugin = manifest("tree");
  plugin["meta"]["config_schema"] = {
      {"definitions", {{"node", {{"type", "object"}, {"properties", {{"child", {{"$ref", "#/definitions/node"}}}}}}}}},
      {"$ref", "#/definitions/node"}};
  ws.add("tree.json", plugin.dump());
  CommandResult validate = ws.mdivicom({"plugins", "validate", (ws.manifests / "tree.json").string()});
  CHECK(validate.exit_code == 0);
  CHECK(ws.mdivicom({"plugins", "list"}).out.find("tree\tpython") != std::string::npos);
}

TEST_CASE("plugins validate refuses a memory size that run refuses, with run's words", "[cli][hostile]")
{
  Workspace ws;
  for (const auto& [memory, valid] : std::vector<std::pair<nlohmann::json, bool>>{{"1k", false},
                                                                                  {"5m", false},
                                                                                  {1024, false},
                                                                                  {"99999999999999999999g", false},
                                                                                  {"6m", true},
                                                                                  {"1G", true},
                                                                                  {6291456, true}}) {
    INFO(memory.dump());
    auto plugin = manifest("sized", "container");
    plugin["entry"]["resources"] = {{"memory", memory}};
    ws.add("sized.json", plugin.dump());
    CommandResult validate = ws.mdivicom({"plugins", "validate", (ws.manifests / "sized.json").string()});
    CHECK(validate.exit_code == (valid ? 0 : 1));
    if (!valid) {
      CHECK_THAT(validate.out, Catch::Contains("/entry/resources/memory: "));
    }
    if (!valid && memory.is_string()) {
      CHECK_THAT(validate.out, Catch::Contains("expected bytes or a size like 512m (at least 6m)"));
    }
  }
}

TEST_CASE("plugins info /id names no publisher and finds nothing", "[cli][hostile]")
{
  Workspace ws;
  ws.add("okp.json", manifest("okp").dump());
  CHECK(ws.mdivicom({"plugins", "info", "okp"}).exit_code == 0);
  for (const std::string ref : {"/okp", "okp/"}) {
    CommandResult info = ws.mdivicom({"plugins", "info", ref});
    CHECK(info.exit_code == 2);
    CHECK_THAT(info.err, Catch::Contains("Plugin not found: " + ref));
  }
}

TEST_CASE("a hostile pyproject.toml in a dev root hides neither the listing nor a run of another plugin",
          "[cli][hostile]")
{
  Workspace ws;
  write_file(ws.root / "hostile" / "pyproject.toml",
             "[project]\nname = \"h\"\nkeywords = " + std::string(40000, '[') + std::string(40000, ']') + "\n");
  ws.options.env["MDIVICOM_DEV_PLUGIN_ROOTS"] = (ws.root / "hostile").string() + ":" + k_example_root.string();
  CommandResult list = ws.mdivicom({"plugins", "list"});
  CHECK(list.exit_code == 0);
  CHECK_THAT(list.out, Catch::Contains("hostile\terror") && Catch::Contains("stream-inventory\tpython"));
  CommandResult run = ws.mdivicom(
      {"run", "stream-inventory", "--dataset", k_example_dataset.string(), "--out", (ws.root / "out").string()});
  INFO(run.err);
  CHECK(run.exit_code == 0);
}

TEST_CASE("under any memory limit mdivicom exits with a message, never aborts, and leaves no running record",
          "[cli][hostile][memory]")
{
  Workspace ws;
  ws.options.env["MDIVICOM_DEV_PLUGIN_ROOTS"] = k_example_root.string();
  // The plugin's registration is cached first: the limits below are for the run, not discovery.
  REQUIRE(ws.mdivicom({"plugins", "list"}).out.find("stream-inventory") != std::string::npos);
  std::set<int> exit_codes;
  bool out_of_memory_said = false;
  // From where mdivicom reaches main up to where the run succeeds. Below, the loader cannot map
  // the libraries (exit 127), or the heap cannot grow while the libraries' static objects are
  // made (CLI11's validators), before the exception pool exists: an abort before main, out of
  // mdivicom's reach as the loader's failure is. Where that is moves with the binary's size.
  int first_mib = 9;
  while (first_mib < 12) {
    CommandResult started =
        run_command({"prlimit", "--as=" + std::to_string(first_mib << 20), MDIVICOM_BINARY, "--version"});
    if (started.signal == 0 && started.exit_code != 127) {
      break;
    }
    ++first_mib;
  }
  for (int mib = first_mib; mib <= 30; ++mib) {
    fs::path out = ws.root / ("out-" + std::to_string(mib));
    CommandResult run =
        run_command({"prlimit", "--as=" + std::to_string(mib << 20), MDIVICOM_BINARY, "run", "stream-inventory",
                     "--dataset", k_example_dataset.string(), "--out", out.string()},
                    ws.options);
    INFO(mib << " MiB: exit " << run.exit_code << ", signal " << run.signal << "\n" << run.err);
    CHECK(run.signal == 0);
    CHECK((run.exit_code == 0 || run.exit_code == 1));
    exit_codes.insert(run.exit_code);
    out_of_memory_said = out_of_memory_said || run.err.find("mdivicom: error: out of memory;") != std::string::npos;
    if (fs::exists(out / "_runs")) {
      for (const auto& entry : fs::directory_iterator(out / "_runs")) {
        if (entry.path().extension() == ".json") {
          auto record = nlohmann::json::parse(mdivicom::test::read_file(entry.path()));
          CHECK(record["status"] != "running");
        }
      }
    }
  }
  CHECK(out_of_memory_said);
  CHECK(exit_codes.count(0) == 1); // the limits reach one the run fits in

  // verify hashes on threads: one that cannot start is said so, not "unexpected".
  fs::path out = ws.root / "out-30";
  for (int mib = first_mib; mib <= first_mib + 3; ++mib) {
    CommandResult verify = run_command(
        {"prlimit", "--as=" + std::to_string(mib << 20), MDIVICOM_BINARY, "verify", out.string()}, ws.options);
    INFO(mib << " MiB: exit " << verify.exit_code << ", signal " << verify.signal << "\n" << verify.err);
    CHECK(verify.signal == 0);
    CHECK_THAT(verify.err, !Catch::Contains("unexpected"));
  }
}

TEST_CASE("resultbundles validate refuses a --supported-major or --min-minor past 64 bits instead of clamping it",
          "[cli][hostile][resultbundles]")
{
  TempDir dir;
  fs::copy(fs::path(MDIVICOM_SOURCE_DIR) / "examples" / "results", dir.path(), fs::copy_options::recursive);
  fs::path sidecar = dir / "resultbundle.json";
  auto bundle = nlohmann::json::parse(mdivicom::test::read_file(sidecar));
  bundle["schema_version"] = "99999999999999999999.1.0";
  write_file(sidecar, bundle.dump());
  for (const char* option : {"--supported-major", "--min-minor"}) {
    CommandResult big =
        run_mdivicom({"resultbundles", "validate", "--sidecar", sidecar.string(), option, "99999999999999999999"});
    CHECK(big.exit_code == 2);
    CHECK_THAT(big.err, Catch::Contains(std::string(option) + " '99999999999999999999': larger than mdivicom handles"));
  }
  // Python's int() spellings: spaces around, '_' between digits.
  CommandResult spelled = run_mdivicom(
      {"resultbundles", "validate", "--sidecar", sidecar.string(), "--supported-major", " 1_0 ", "--json"});
  CHECK(spelled.exit_code == 1);
  CHECK_THAT(spelled.out, Catch::Contains("major mismatch: supported 10, got 99999999999999999999."));
}

TEST_CASE("a sidecar number past a double's range gets a clean message, not the JSON library's",
          "[cli][hostile][resultbundles]")
{
  TempDir dir;
  write_file(dir / "resultbundle.json", R"({"resultbundle_type": "x", "big": 1e400})");
  CommandResult result = run_mdivicom({"resultbundles", "validate", "--sidecar", (dir / "resultbundle.json").string()});
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.out,
             Catch::Contains("the number 1e400 is beyond the range of a double") && !Catch::Contains("json.exception"));
}

TEST_CASE("resultbundles inspect prints an error that quotes a NUL whole, not cut at it",
          "[cli][hostile][resultbundles]")
{
  TempDir dir;
  write_file(dir / "resultbundle.json",
             R"({"resultbundle_type": "x", "source": {"root": "r", "root_base": "weird\u0000base"}})");
  CommandResult result = run_mdivicom({"resultbundles", "inspect", "--sidecar", (dir / "resultbundle.json").string()});
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err,
             Catch::Contains(std::string("Unsupported source.root_base 'weird\0base'. Supported values", 59)));
}
