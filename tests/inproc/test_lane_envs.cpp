// Where a Python plugin's code comes from at run time: a venv, a manifest's python_path.

#include <catch2/catch.hpp>

#include "inproc_support.hpp"
#include "lanes/inproc/inproc.hpp"
#include "support/process.hpp"

using namespace mdivicom;
using namespace mdivicom::test;
namespace fs = std::filesystem;

TEST_CASE("a plugin installed in a venv runs in that venv's interpreter", "[inproc][lane][venv]")
{
  PythonSandbox sandbox;
  fs::path venv = sandbox / "venv";
  fs::path site = make_venv(venv);
  write_file(site / "venv_only.py", "import sys\ndef run(**kwargs):\n    print(sys.prefix)\n");
  LaneRun run("import venv_only\ndef run(**kwargs):\n    venv_only.run()\n");
  run.request.options["python_env"] = venv.string();
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  INFO(sink.err_text);
  CHECK(to_string(outcome.status) == "succeeded");
  CHECK(sink.out_text == venv.string() + "\n");
  CHECK(outcome.facts["python"]["prefix"] == venv.string());
  CHECK(outcome.facts["python"]["base_prefix"] == "/usr");
  CHECK(outcome.facts["python"]["executable"] == (venv / "bin" / "python3").string());
  CHECK(outcome.facts["python"]["env"]["origin"] == "--python-env");

  SECTION("without the venv the same plugin cannot import its dependency")
  {
    run.request.options.erase("python_env");
    CapturingSink plain;
    RunOutcome failed = execute(run.request, plain);
    CHECK(to_string(failed.status) == "failed");
    CHECK(failed.error["type"] == "ModuleNotFoundError");
  }
}

TEST_CASE("a run in an unusable python env fails before starting, naming the env and the fix", "[inproc][lane][venv]")
{
  PythonSandbox sandbox;
  LaneRun run("def run(**kwargs):\n    pass\n");
  run.request.options["python_env"] = (sandbox / "nowhere").string();
  CapturingSink sink;
  RunOutcome outcome = execute(run.request, sink);
  CHECK(to_string(outcome.status) == "failed");
  CHECK(outcome.error["type"] == "mdivicom.StartError");
  CHECK(outcome.error["message"].get<std::string>().find((sandbox / "nowhere").string()) != std::string::npos);
  CHECK(outcome.error["message"].get<std::string>().find("-m venv") != std::string::npos);
}

TEST_CASE("a manifest's entry.python_path puts its code on sys.path, relative to the manifest",
          "[inproc][cli][manifest]")
{
  PythonSandbox sandbox;
  fs::path manifests = sandbox / "tools" / "manifests";
  write_file(sandbox / "tools" / "code" / "mtool.py",
             "import os\ndef run(out_dir, **kwargs):\n    open(os.path.join(out_dir, 'from'), 'w').write(__file__)\n");
  nlohmann::json manifest = {
      {"meta",
       {{"api_version", "mdivicomtools.plugin.v0.1"},
        {"id", "mtool"},
        {"kind", "python"},
        {"version", "1.0.0"},
        {"description", "manifest tool"}}},
      {"entry", {{"callable", "mtool:run"}, {"python_path", {"../code"}}}},
  };
  write_file(manifests / "mtool.json", manifest.dump());
  write_file(sandbox / "dataset" / "x.txt", "x");
  CommandOptions options;
  options.env = {{"MDIVICOM_PLUGIN_PATH", manifests.string()}, {"XDG_DATA_HOME", (sandbox / "xdg").string()}};
  auto result = run_mdivicom(
      {"run", "mtool", "--dataset", (sandbox / "dataset").string(), "--out", (sandbox / "out").string()}, options);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(read_file(sandbox / "out" / "mtool" / "from") == (sandbox / "tools" / "code" / "mtool.py").string());

  manifest["entry"]["python_path"] = {42};
  write_file(manifests / "mtool.json", manifest.dump());
  auto invalid = run_mdivicom({"plugins", "validate", (manifests / "mtool.json").string()}, options);
  CHECK(invalid.exit_code != 0);
  CHECK(invalid.out.find("/entry/python_path/0") != std::string::npos);
}

TEST_CASE("doctor facts name the Python used and the Landlock ABI", "[inproc][doctor]")
{
  PythonSandbox sandbox;
  nlohmann::json facts = inproc::doctor_facts();
  CHECK(facts["python"]["ok"] == true);
  CHECK(facts["python"]["version"] == "3.11.2");
  CHECK(facts["python"]["executable"] == "/usr/bin/python3");
  CHECK(facts["python"]["embedded_version"] == "3.11");
  CHECK(facts["python"]["sys_path"].size() > 2);
  CHECK(facts["landlock"]["available"] == true);
  CHECK(facts["landlock"]["abi"].get<int>() >= 1);
  CHECK(facts["plugin_cache"] == sandbox.cache_file().string());

  ScopedEnv off(EnvValues{{"MDIVICOM_LANDLOCK", "off"}});
  nlohmann::json without = inproc::doctor_facts();
  CHECK(without["landlock"]["available"] == false);
  CHECK(without["landlock"]["fix"].get<std::string>().find("MDIVICOM_LANDLOCK") != std::string::npos);
}
