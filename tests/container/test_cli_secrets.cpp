// Secrets of the config through the container lane and the real binary: a container that
// prints its config file and fails leaves the secrets in no file mdivicom writes (issue 15, item 6).
#include "container/support.hpp"

#include "support/process.hpp"
#include "support/record_schema.hpp"

namespace fs = std::filesystem;
using namespace mdivicom;
using namespace mdivicom::test;

namespace {

const char* const k_secrets[] = {"sk-ctr-5ecret-77", "90817263", "Ctr9pass44", "4417.5"};

void secrets_stay_out_of_records(const TestEngine& engine)
{
  TempDir temp;
  fs::path manifests = temp / "manifests";
  fs::path out = temp / "out";
  write_file(temp / "dataset" / "a.txt", "a\n");
  nlohmann::json manifest = {
      {"meta",
       {{"api_version", "mdivicomtools.plugin.v0.1"},
        {"id", "ctr-secret"},
        {"kind", "container"},
        {"version", "0.1.0"},
        {"description", "prints its config"}}},
      {"entry",
       {{"image", k_test_image}, {"argv", {"sh", "-c", "cat {config_path}; echo; cat {config_path} >&2; exit 3"}}}},
  };
  write_file(manifests / "ctr-secret.json", manifest.dump());
  CommandOptions options;
  options.env["MDIVICOM_PLUGIN_PATH"] = manifests.string();
  auto result = run_mdivicom(
      {"run", "ctr-secret", "--dataset", (temp / "dataset").string(), "--out", out.string(), "--engine",
       engine.engine_option(), "--backend", engine.name, "--config",
       R"({"cloud": {"api_key": "sk-ctr-5ecret-77"}, "db": {"password": 90817263, "url": "pg://ada:Ctr9pass44@db/x"},)"
       R"( "hmac_key": 4417.5})"},
      options);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  CHECK(result.out.find(R"("api_key":"***REDACTED***")") != std::string::npos); // the container printed it
  size_t files = 0;
  for (const auto& item : fs::recursive_directory_iterator(out)) {
    if (item.is_regular_file()) {
      ++files;
      std::string text = read_file(item.path());
      INFO(item.path().string() << ":\n" << text);
      for (const char* secret : k_secrets) {
        CHECK(text.find(secret) == std::string::npos);
      }
      if (item.path().extension() == ".json" && item.path().parent_path().filename() == "_runs") {
        check_record_schema(nlohmann::json::parse(text));
      }
    }
  }
  CHECK(files >= 3); // record, log, crate
  for (const std::string* text : {&result.out, &result.err}) {
    for (const char* secret : k_secrets) {
      CHECK(text->find(secret) == std::string::npos);
    }
  }
}

} // namespace

ENGINE_TEST_CASE("a container that prints its config's secrets leaves them in no record, log or crate",
                 "[container][cli][redact]", secrets_stay_out_of_records)
