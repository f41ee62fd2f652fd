#include "inproc_support.hpp"

#include <fstream>

#include "lanes/inproc/inproc.hpp"
#include "support/process.hpp"

#include <cstdlib>
#include <stdexcept>

namespace mdivicom::test {

namespace fs = std::filesystem;

ScopedEnv::ScopedEnv(EnvValues values)
{
  for (const auto& [name, value] : values) {
    const char* old = std::getenv(name.c_str());
    m_saved[name] = old != nullptr ? std::optional<std::string>(old) : std::nullopt;
    if (value) {
      setenv(name.c_str(), value->c_str(), 1);
    } else {
      unsetenv(name.c_str());
    }
  }
}

ScopedEnv::~ScopedEnv()
{
  for (const auto& [name, value] : m_saved) {
    if (value) {
      setenv(name.c_str(), value->c_str(), 1);
    } else {
      unsetenv(name.c_str());
    }
  }
}

PythonSandbox::PythonSandbox()
  : m_env(EnvValues{{"XDG_CACHE_HOME", (m_dir / "cache").string()},
                    {"VIRTUAL_ENV", std::nullopt},
                    {"MDIVICOM_PYTHON_ENV", std::nullopt},
                    {"MDIVICOM_DEV_PLUGIN_ROOTS", std::nullopt},
                    {"MDIVICOM_PLUGIN_CACHE", std::nullopt},
                    {"MDIVICOM_LANDLOCK", std::nullopt},
                    {"PYTHONPATH", std::nullopt},
                    {"PYTHONNOUSERSITE", "1"},
                    // Under a loaded CI machine an interpreter start can be slow; hangs get their own value.
                    {"MDIVICOM_GET_PLUGIN_TIMEOUT", "120"}})
{}

fs::path PythonSandbox::cache_file() const
{
  return m_dir / "cache" / "mdivicom" / "python-plugins.json";
}

namespace {

std::string toml_string(const std::string& text)
{
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
    }
    quoted += c;
  }
  return quoted + "\"";
}

} // namespace

void write_dev_root(const fs::path& root, const std::map<std::string, std::string>& entry_points,
                    const std::map<std::string, std::string>& files)
{
  std::string toml = "[project]\nname = \"" + root.filename().string() +
                     "\"\nversion = \"0.1.0\"\n\n"
                     "[project.entry-points.\"mdivicomtools.plugins\"]\n";
  for (const auto& [name, value] : entry_points) {
    toml += toml_string(name) + " = " + toml_string(value) + "\n";
  }
  write_file(root / "pyproject.toml", toml);
  for (const auto& [path, source] : files) {
    write_file(root / path, source);
  }
}

void write_installed(const fs::path& site_dir, const std::string& name, const std::string& version,
                     const std::map<std::string, std::string>& entry_points,
                     const std::map<std::string, std::string>& files)
{
  fs::path info = site_dir / (name + "-" + version + ".dist-info");
  write_file(info / "METADATA", "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n");
  std::string text = "[console_scripts]\nnot-ours = os:getcwd\n\n[mdivicomtools.plugins]\n";
  for (const auto& [ep_name, value] : entry_points) {
    text += ep_name + " = " + value + "\n";
  }
  write_file(info / "entry_points.txt", text);
  std::string record;
  for (const auto& [path, source] : files) {
    write_file(site_dir / path, source);
    record += path + ",,\n";
  }
  record += info.filename().string() + "/METADATA,,\n" + info.filename().string() + "/RECORD,,\n";
  write_file(info / "RECORD", record);
}

std::string get_plugin_source(const std::string& id, const std::string& callable)
{
  return "def get_plugin():\n"
         "    return {'meta': {'api_version': 'mdivicomtools.plugin.v0.1', 'id': '" +
         id +
         "',\n"
         "                     'kind': 'python', 'version': '1.0.0', 'description': 'test plugin'},\n"
         "            'entry': {'callable': '" +
         callable + "'}}\n";
}

fs::path make_venv(const fs::path& dir, bool system_site_packages)
{
  std::vector<std::string> argv = {"/usr/bin/python3", "-m", "venv", "--without-pip"};
  if (system_site_packages) {
    argv.push_back("--system-site-packages");
  }
  argv.push_back(dir.string());
  auto result = run_command(argv);
  if (result.exit_code != 0) {
    throw std::runtime_error("venv creation failed: " + result.err);
  }
  return dir / "lib" / "python3.11" / "site-packages";
}

void CapturingSink::out(std::string_view text)
{
  out_text.append(text);
  if (on_out) {
    on_out(out_text);
  }
}

void CapturingSink::err(std::string_view text)
{
  err_text.append(text);
}

LaneRun::LaneRun(const std::string& source, const std::string& config_text)
  : root(dir / "plugin"), dataset(dir / "dataset"), out_root(dir / "out")
{
  write_file(root / "lane_plugin.py", source);
  write_file(dataset / "data" / "readme.txt", "original\n");
  nlohmann::json raw = {
      {"meta",
       {{"api_version", "mdivicomtools.plugin.v0.1"},
        {"id", "lane-test"},
        {"kind", "python"},
        {"version", "1.0.0"},
        {"description", "lane test"}}},
      {"entry", {{"callable", "lane_plugin:run"}}},
      {"dev_root", root.string()},
  };
  PluginOrigin origin;
  origin.entry_point = "lane_plugin:get_plugin";
  request.plugin = normalize_plugin(raw, origin);
  request.run_id = "20240101T000000Z_0123abcd";
  request.dataset_dir = dataset;
  request.out_root = out_root;
  request.plugin_out_dir = out_root / "lane-test";
  request.work_dir = dir / "work";
  request.tmp_dir = dir / "tmp";
  request.log_path = out_root / "_runs" / (request.run_id + ".log");
  request.config_text = config_text;
  request.config = nlohmann::json::parse(config_text);
  request.backend = "python";
  request.timeout_s = 120; // a stuck test fails instead of hanging
  for (const auto& d : {request.plugin_out_dir, request.work_dir, request.tmp_dir, out_root / "_runs"}) {
    fs::create_directories(d);
  }
}

RunOutcome execute(const RunRequest& request, CapturingSink& sink)
{
  auto lane = inproc::make_python_lane();
  lane->prepare(request.plugin, request.options); // as core does: the worker starts early
  return lane->execute(request, sink);
}

std::string python_json_roundtrip(const std::string& text)
{
  CommandOptions options;
  options.input = text;
  auto result = run_command({"/usr/bin/python3", "-c",
                             "import json,sys; sys.stdout.buffer.write(json.dumps(json.loads(sys.stdin.read()), "
                             "sort_keys=True, ensure_ascii=False).encode('utf-8'))"},
                            options);
  if (result.exit_code != 0) {
    throw std::runtime_error("python json failed: " + result.err);
  }
  return result.out;
}

std::vector<pid_t> processes_running(const std::vector<std::string>& argv)
{
  std::string wanted;
  for (const auto& arg : argv) {
    wanted += arg + '\0';
  }
  std::vector<pid_t> pids;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    std::ifstream cmdline(entry.path() / "cmdline");
    std::string text((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    if (text == wanted) {
      pids.push_back(std::stoi(name));
    }
  }
  return pids;
}

} // namespace mdivicom::test
