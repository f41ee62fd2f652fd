// Secrets of the config never reach what mdivicom writes or prints: real runs of a real Python
// plugin that raises, prints and logs them (issue 15, item 6).

#include <catch2/catch.hpp>

#include "cli_workspace.hpp"
#include "inproc_support.hpp"
#include "support/process.hpp"
#include "support/record_schema.hpp"

using namespace mdivicom;
using namespace mdivicom::test;
namespace fs = std::filesystem;

namespace {

// A plugin that shows every secret of its config every way it can, then raises with them.
const char* k_leaky_plugin = R"(
import logging, os, sys
def run(out_dir, config, **kw):
    key = config['cloud']['api_key']
    pw = config['db']['password']
    print('key', key, 'pw', pw, 'all', config, 'env', os.environ.get('GITHUB_TOKEN'), flush=True)
    print('float pw', float(pw), 'hmac', config['hmac_key'], 'url', config['db']['url'], file=sys.stderr, flush=True)
    logging.getLogger('plugin').warning('logged %s', config['accounts'][0]['ssh_key'])
    with open(os.path.join(out_dir, 'own.txt'), 'w') as f:
        f.write(repr(config))
    raise ValueError(f'cannot log in with {key!r} / {pw} at {config["db"]["url"]}')
)";

const char* k_config = R"({"cloud": {"api_key": "sk-live-Q7f3a9b2c8d1", "region": "eu-west-1"},
  "db": {"password": 48213957, "url": "postgres://ada:Zq9pass7781@db.example.org/lab"},
  "hmac_key": 73519.25, "accounts": [{"user": "ada", "ssh_key": "ssh-ed25519 AAAAC3Nza-test"}],
  "threshold": 2})";

const std::vector<std::string> k_secrets = {"sk-live-Q7f3a9b2c8d1", "48213957", "Zq9pass7781", "73519.25",
                                            "ssh-ed25519 AAAAC3Nza-test"};

struct SecretsWorkspace : CliWorkspace
{
  SecretsWorkspace() : CliWorkspace(k_leaky_plugin) {}

  CommandResult run(const std::vector<std::string>& before = {})
  {
    std::vector<std::string> args = before;
    for (const char* arg : {"run", "cli-test", "--dataset", dataset.c_str(), "--out", out.c_str(), "--config"}) {
      args.push_back(arg);
    }
    args.emplace_back(k_config);
    return run_mdivicom(args, options);
  }

  nlohmann::json record() const
  {
    for (const auto& item : fs::directory_iterator(out / "_runs")) {
      if (item.path().extension() == ".json") {
        return nlohmann::json::parse(read_file(item.path()));
      }
    }
    return nullptr;
  }
};

// Every file under O that mdivicom wrote (all but the plugin's own.txt) and the terminal.
void check_no_secret_anywhere(const SecretsWorkspace& ws, const CommandResult& result)
{
  size_t files = 0;
  for (const auto& item : fs::recursive_directory_iterator(ws.out)) {
    if (!item.is_regular_file() || item.path().filename() == "own.txt") {
      continue;
    }
    ++files;
    std::string text = read_file(item.path());
    for (const auto& secret : k_secrets) {
      INFO(item.path().string() << " holds " << secret << ":\n" << text);
      CHECK(text.find(secret) == std::string::npos);
    }
  }
  CHECK(files >= 4); // record, log, crate, provenance.json
  for (const auto& secret : k_secrets) {
    INFO("the terminal shows " << secret << ":\n" << result.out << result.err);
    CHECK(result.out.find(secret) == std::string::npos);
    CHECK(result.err.find(secret) == std::string::npos);
  }
}

} // namespace

TEST_CASE("a plugin that prints, logs and raises its config's secrets leaves them in no file mdivicom writes",
          "[inproc][cli][redact]")
{
  SecretsWorkspace ws;
  CommandResult result = ws.run();
  INFO(result.err);
  CHECK(result.exit_code == 1);
  // The plugin got the real values: they are in its own file, which is its business.
  std::string own = read_file(ws.out / "cli-test" / "own.txt");
  for (const auto& secret : {"sk-live-Q7f3a9b2c8d1", "48213957", "Zq9pass7781", "73519.25"}) {
    CHECK(own.find(secret) != std::string::npos);
  }
  check_no_secret_anywhere(ws, result);
  nlohmann::json record = ws.record();
  REQUIRE(record.is_object());
  CHECK(record["status"] == "failed");
  CHECK(record["error"]["type"] == "ValueError");
  CHECK(record["error"]["message"] ==
        "cannot log in with '***REDACTED***' / ***REDACTED*** at postgres://ada:***REDACTED***@db.example.org/lab");
  CHECK(record["error"].dump().find("cli_mod.py") != std::string::npos); // the traceback is kept
  CHECK(record["config"]["db"]["url"] == "postgres://ada:***REDACTED***@db.example.org/lab");
  CHECK(record["config"]["db"]["password"] == "***REDACTED***");
  CHECK(record["config"]["cloud"]["region"] == "eu-west-1");
  check_record_schema(record);
  std::string crate = read_file(ws.out / "ro-crate-metadata.json");
  CHECK(crate.find("cannot log in with '***REDACTED***'") != std::string::npos);
  CHECK(result.err.find("float pw ***REDACTED***.0 hmac ***REDACTED***") != std::string::npos);
}

TEST_CASE("mdivicom -v shows the environment and argv with secret values redacted", "[inproc][cli][redact]")
{
  SecretsWorkspace ws;
  ws.options.env["GITHUB_TOKEN"] = "ghp_Xy12verysecret";
  ws.options.env["AWS_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMI-aws-secret";
  ws.options.env["HTTPS_PROXY"] = "http://ada:Pr0xyPass99@proxy.example.org:3128";
  CommandResult result = ws.run({"-v"});
  INFO(result.err);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("env: GITHUB_TOKEN=***REDACTED***") != std::string::npos);
  CHECK(result.err.find("env: AWS_SECRET_ACCESS_KEY=***REDACTED***") != std::string::npos);
  CHECK(result.err.find("env: HTTPS_PROXY=http://ada:***REDACTED***@proxy.example.org:3128") != std::string::npos);
  CHECK(result.err.find("env: PATH=") != std::string::npos);                    // the others are still shown
  CHECK(result.err.find(R"("api_key":"***REDACTED***")") != std::string::npos); // argv's --config
  for (const char* secret : {"ghp_Xy12verysecret", "wJalrXUtnFEMI-aws-secret", "Pr0xyPass99"}) {
    CHECK(result.err.find(secret) == std::string::npos);
  }
  // The plugin printed the token it inherited: scrubbed from the log and the terminal too.
  CHECK(result.out.find("env ***REDACTED***") != std::string::npos);
  for (const auto& item : fs::directory_iterator(ws.out / "_runs")) {
    CHECK(read_file(item.path()).find("ghp_Xy12verysecret") == std::string::npos);
  }
  check_no_secret_anywhere(ws, result);
}
