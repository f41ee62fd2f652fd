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

// Under a low limit the system's loader cannot map mdivicom's libraries: it prints one line that
// names the binary and exits 127 before main, as for any program. That is not mdivicom aborting,
// and it is told apart exactly: mdivicom itself never exits 127 (its codes: 0, 1, 2, 130).
bool failed_in_loader(const CommandResult& result)
{
  const std::string prefix = std::string(MDIVICOM_BINARY) + ": error while loading shared libraries: ";
  return result.signal == 0 && result.exit_code == 127 && result.out.empty() && result.err.rfind(prefix, 0) == 0 &&
         result.err.find('\n') == result.err.size() - 1;
}

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

TEST_CASE("a config_schema pattern with a backreference is refused alike by validate, list, info and run",
          "[cli][hostile][pattern]")
{
  Workspace ws;
  auto plugin = manifest("backref");
  plugin["meta"]["config_schema"] = {{"properties", {{"name", {{"pattern", "^(a)\\1$"}}}}}};
  ws.add("backref.json", plugin.dump());
  const std::string why = R"(pattern "^(a)\\1$" is not supported: a backreference (\1); mdivicom matches )"
                          "patterns with RE2, which has no backreferences, lookahead or lookbehind";
  CommandResult validate = ws.mdivicom({"plugins", "validate", (ws.manifests / "backref.json").string()});
  CHECK(validate.exit_code == 1);
  CHECK_THAT(validate.out, Catch::Contains("/meta/config_schema: " + why));
  CommandResult list = ws.mdivicom({"plugins", "list"});
  CHECK_THAT(list.out, Catch::Contains("backref\terror"));
  CHECK_THAT(list.err, Catch::Contains(why));
  CommandResult info = ws.mdivicom({"plugins", "info", "backref"});
  CHECK(info.exit_code == 2);
  CHECK_THAT(info.err, Catch::Contains(why));
  CommandResult run = ws.mdivicom({"run", "backref", "--dataset", (ws.root / "dataset").string(), "--out",
                                   (ws.root / "out").string(), "--config", R"({"name": "aa"})"});
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Catch::Contains(why));
  CHECK_FALSE(fs::exists(ws.root / "out"));
}

TEST_CASE("a manifest with a 1 MB image name is checked without a crash, and the others still list",
          "[cli][hostile][pattern]")
{
  // The manifest schema's "^[^\\s]+$" ran in std::regex, which recursed once per character.
  Workspace ws;
  ws.add("good.json", manifest("good").dump());
  auto big = manifest("big", "container");
  big["entry"]["image"] = std::string(1 << 20, 'i');
  ws.add("big.json", big.dump());
  CHECK(ws.mdivicom({"plugins", "validate", (ws.manifests / "big.json").string()}).exit_code == 0);
  big["entry"]["image"] = std::string(1 << 20, 'i') + " x";
  ws.add("big.json", big.dump());
  CommandResult validate = ws.mdivicom({"plugins", "validate", (ws.manifests / "big.json").string()});
  CHECK(validate.exit_code == 1);
  CHECK_THAT(validate.out, Catch::Contains("big.json: /entry/image: "));
  CommandResult list = ws.mdivicom({"plugins", "list"});
  CHECK(list.exit_code == 0);
  CHECK_THAT(list.out, Catch::Contains("good\tpython") && Catch::Contains("big\terror"));
}

TEST_CASE("a config_schema pattern that backtracks catastrophically checks a long string fast in validate and run",
          "[cli][hostile][pattern]")
{
  Workspace ws;
  auto plugin = manifest("slowpat");
  plugin["entry"]["callable"] = "pattern_mod:run";
  plugin["meta"]["config_schema"] = {{"properties", {{"name", {{"type", "string"}, {"pattern", "^(a*)*b$"}}}}}};
  ws.add("slowpat.json", plugin.dump());
  write_file(ws.root / "site" / "pattern_mod.py",
             "import os\n"
             "def run(dataset_dir, out_dir, config, **kw):\n"
             "    open(os.path.join(out_dir, 'length.txt'), 'w').write(str(len(config['name'])))\n");
  ws.options.env["PYTHONPATH"] = (ws.root / "site").string();
  CHECK(ws.mdivicom({"plugins", "validate", (ws.manifests / "slowpat.json").string()}).exit_code == 0);
  const std::string long_a(100000, 'a');
  auto run = [&](const std::string& name) {
    write_file(ws.root / "config.json", nlohmann::json({{"name", name}}).dump());
    return ws.mdivicom({"run", "slowpat", "--dataset", (ws.root / "dataset").string(), "--out",
                        (ws.root / "out").string(), "--overwrite", "--config", (ws.root / "config.json").string()});
  };
  CommandResult refused = run(long_a);
  INFO(refused.err);
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains("config /name: string \"aaaa") && Catch::Contains("does not match pattern "
                                                                                            "\"^(a*)*b$\""));
  CommandResult matched = run(long_a + "b");
  INFO(matched.err);
  CHECK(matched.exit_code == 0);
  CHECK(mdivicom::test::read_file(ws.root / "out" / "slowpat" / "length.txt") == "100001");
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

// [no-sanitizer]: under ASan no limit of address space fits its shadow memory, so nothing starts.
TEST_CASE("under any memory limit mdivicom exits with a message, never aborts, and leaves no running record",
          "[cli][hostile][memory][no-sanitizer]")
{
  Workspace ws;
  ws.options.env["MDIVICOM_DEV_PLUGIN_ROOTS"] = k_example_root.string();
  // The plugin's registration is cached first: the limits below are for the run, not discovery.
  REQUIRE(ws.mdivicom({"plugins", "list"}).out.find("stream-inventory") != std::string::npos);
  std::set<int> exit_codes;
  bool out_of_memory_said = false;
  int first_started = 0; // the lowest limit under which mdivicom's main ran
  // From near where the loader fails (README: "Limits on input") up to well past where the run fits.
  for (int mib = 9; mib <= 40; ++mib) {
    fs::path out = ws.root / ("out-" + std::to_string(mib));
    CommandResult run =
        run_command({"prlimit", "--as=" + std::to_string(mib << 20), MDIVICOM_BINARY, "run", "stream-inventory",
                     "--dataset", k_example_dataset.string(), "--out", out.string()},
                    ws.options);
    INFO(mib << " MiB: exit " << run.exit_code << ", signal " << run.signal << "\n" << run.err);
    if (failed_in_loader(run)) {
      CHECK(first_started == 0); // only below every limit mdivicom started under
      CHECK_FALSE(fs::exists(out));
      continue;
    }
    first_started = first_started == 0 ? mib : first_started;
    CHECK(run.signal == 0);
    // 1: the plugin failed (a MemoryError); 4: mdivicom or its worker ran out of memory.
    CHECK((run.exit_code == 0 || run.exit_code == 1 || run.exit_code == 4));
    if (run.exit_code != 0) {
      CHECK_THAT(run.err, Catch::Contains("mdivicom: error: "));
    }
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
  CHECK((first_started != 0 && first_started <= 12)); // the loader needs about 10 MiB, not more
  CHECK(out_of_memory_said);
  CHECK(exit_codes.count(0) == 1); // the limits reach one the run fits in

  // verify hashes on threads: one that cannot start is said so, not "unexpected".
  fs::path out = ws.root / "out-40";
  for (int mib = 9; mib <= 12; ++mib) {
    CommandResult verify = run_command(
        {"prlimit", "--as=" + std::to_string(mib << 20), MDIVICOM_BINARY, "verify", out.string()}, ws.options);
    INFO(mib << " MiB: exit " << verify.exit_code << ", signal " << verify.signal << "\n" << verify.err);
    if (mib < first_started) {
      CHECK(failed_in_loader(verify));
      continue;
    }
    CHECK(verify.signal == 0);
    CHECK((verify.exit_code == 0 || verify.exit_code == 1 || verify.exit_code == 4));
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
