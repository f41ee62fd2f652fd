// `mdivicom report`: one self-contained HTML file, checked as text (escaping, no external
// assets) and in a real headless browser (Debian's chromium): the page's script runs without an
// error, the table has the right rows, a hostile file name stays text, and a screenshot is left
// in build/test-artefacts/ for people to look at.

#include <catch2/catch.hpp>

#include "cli_workspace.hpp"

#include <regex>

using namespace mdivicom::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A name that would run script if it reached the page as markup (the page's CSP allows inline
// handlers: its own script is inline), and one that would swallow the rest of the page as script.
const std::string k_hostile =
    R"name(<img src=x onerror="document.documentElement.setAttribute('data-pwned','1')">.txt)name";
const std::string k_hostile_title = "<script>document.title='pwned'<";

const char* k_plugin = R"(
import os
def run(dataset_dir, out_dir, config, *, work_dir=None, dry_run=False):
    for name in config.get('names', []):
        with open(os.path.join(out_dir, name), 'w') as f:
            f.write('hostile\n')
    if config.get('fail'):
        raise ValueError('<b>bold</b> failure')
    return {}
)";

size_t count_of(const std::string& text, const std::string& part)
{
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) {
    ++count;
  }
  return count;
}

// The browser, headless, in a profile of its own under `dir`; killed (its process group) by
// run_command when it hangs.
CommandResult chromium(const TempDir& dir, const std::vector<std::string>& args)
{
  std::vector<std::string> argv = {"chromium",
                                   "--headless",
                                   "--no-sandbox", // root: chromium refuses its sandbox
                                   "--disable-gpu",
                                   "--disable-dev-shm-usage",
                                   "--no-first-run",
                                   "--user-data-dir=" + (dir / "chromium-profile").string(),
                                   "--enable-logging=stderr",
                                   "--v=0"};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandOptions options;
  options.env = {{"HOME", dir.path().string()}, {"XDG_CONFIG_HOME", (dir / "xdg").string()}};
  options.timeout_s = 120;
  return run_command(argv, options);
}

} // namespace

TEST_CASE("report writes one self-contained HTML file in which a hostile file name stays text", "[inproc][report]")
{
  CliWorkspace ws(k_plugin);
  json config = {{"names", {k_hostile, k_hostile_title}}};
  CliRun ok = ws.run({"--config", config.dump()});
  INFO(ok.cli.err);
  REQUIRE(ok.cli.exit_code == 0);
  CliRun bad = ws.run({"--config", R"({"fail": true})", "--overwrite"});
  REQUIRE(bad.cli.exit_code == 1);

  const fs::path page = ws.root / "report.html";
  CommandResult report = run_mdivicom({"report", ws.out.string(), "-o", page.string()}, ws.options);
  INFO(report.err);
  REQUIRE(report.exit_code == 0);
  const std::string html = read_file(page);
  CHECK(html.find(k_hostile) == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("<b>bold") == std::string::npos);
  CHECK(html.find("<script>document.title") == std::string::npos);
  CHECK_THAT(html,
             Catch::Contains("&lt;img src=x onerror=&quot;document.documentElement.setAttribute(&#39;data-pwned"));
  CHECK_THAT(html, Catch::Contains("&lt;b&gt;bold&lt;/b&gt; failure"));
  // Self-contained: nothing to fetch, and a policy that would block it anyway.
  CHECK(!std::regex_search(html, std::regex(R"((src|href)=["']?(https?:|//))")));
  CHECK_THAT(html, Catch::Contains("default-src 'none'"));
  CHECK(count_of(html, "<tr data-run-id=") == 2);
  // Failures first: the failed run's row and section come before the succeeded one's.
  const std::string bad_id = bad.record["run_id"];
  CHECK(html.find("data-run-id=\"" + bad_id) < html.find("data-status=\"succeeded\""));
  CHECK_THAT(html, Catch::Contains("<svg id=\"timeline\""));
  CHECK_THAT(html, Catch::Contains(bad.record["dataset"]["fingerprint_sha256"].get<std::string>()));

  // The crate's preview beside O/ro-crate-metadata.json; a report into O by default.
  REQUIRE(fs::exists(ws.out / "ro-crate-metadata.json"));
  CHECK_THAT(read_file(ws.out / "ro-crate-preview.html"), Catch::Contains("ro-crate-metadata.json"));
  CommandResult into_out = run_mdivicom({"report", ws.out.string()}, ws.options);
  CHECK(into_out.exit_code == 0);
  CHECK(fs::is_regular_file(ws.out / "report.html"));
  // The files beside the records are not outputs of a run: verify still passes.
  CommandResult verify = run_mdivicom({"verify", ws.out.string()}, ws.options);
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
}

TEST_CASE("the report loads in a real headless chromium without errors, with the right rows, and is screenshotted",
          "[inproc][report][browser]")
{
  const bool installed = run_command({"sh", "-c", "command -v chromium"}).exit_code == 0;
  if (!installed) {
    FAIL("chromium is not installed: run scripts/install-deps.sh (apt-get install chromium)");
  }
  CliWorkspace ws(k_plugin);
  json config = {{"names", {k_hostile, k_hostile_title}}};
  REQUIRE(ws.run({"--config", config.dump()}).cli.exit_code == 0);
  REQUIRE(ws.run({"--config", R"({"fail": true})", "--overwrite"}).cli.exit_code == 1);
  REQUIRE(ws.run({"--config", R"({"names": ["plain.txt"]})", "--overwrite"}).cli.exit_code == 0);
  const fs::path page = ws.root / "report.html";
  REQUIRE(run_mdivicom({"report", ws.out.string(), "-o", page.string()}, ws.options).exit_code == 0);

  CommandResult dom = chromium(ws.root, {"--dump-dom", "file://" + page.string()});
  INFO(dom.err.substr(0, 4000));
  REQUIRE(dom.exit_code == 0);
  // The page's script ran to its end, and nothing it printed was an error.
  CHECK_THAT(dom.out, Catch::Contains("data-report-ready=\"yes\""));
  CHECK(dom.err.find("Uncaught") == std::string::npos);
  CHECK(dom.err.find(":CONSOLE") == std::string::npos); // console.* lines: "INFO:CONSOLE:1] ..."
  // The hostile names stayed text: no handler ran, the title is the page's own.
  CHECK(dom.out.find("data-pwned") != std::string::npos);       // as text in the outputs table...
  CHECK(dom.out.find("data-pwned=\"1\"") == std::string::npos); // ...never as an attribute set
  CHECK(dom.out.find("<title>pwned") == std::string::npos);
  CHECK(count_of(dom.out, "<tr data-run-id=") == 3);
  CHECK(count_of(dom.out, "data-status=\"failed\"") == 1);
  CHECK(count_of(dom.out, "data-status=\"succeeded\"") == 2);
  CHECK(count_of(dom.out, "<section class=\"run") == 3);

  // A screenshot where people (and CI) find it; a blank or tiny image means nothing rendered.
  const fs::path artefacts = fs::path(MDIVICOM_BINARY).parent_path() / "test-artefacts";
  fs::create_directories(artefacts);
  const fs::path png = artefacts / "report.png";
  fs::remove(png);
  CommandResult shot =
      chromium(ws.root, {"--screenshot=" + png.string(), "--window-size=1200,900", "file://" + page.string()});
  INFO(shot.err.substr(0, 4000));
  REQUIRE(shot.exit_code == 0);
  REQUIRE(fs::is_regular_file(png));
  const std::string image = read_file(png);
  REQUIRE(image.size() > 24);
  CHECK(image.substr(0, 8) == "\x89PNG\r\n\x1a\n");
  auto big_endian = [&](size_t at) {
    return (static_cast<uint32_t>(static_cast<unsigned char>(image[at])) << 24) |
           (static_cast<uint32_t>(static_cast<unsigned char>(image[at + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<unsigned char>(image[at + 2])) << 8) |
           static_cast<uint32_t>(static_cast<unsigned char>(image[at + 3]));
  };
  CHECK(big_endian(16) == 1200); // IHDR: width, height
  CHECK(big_endian(20) == 900);
  CHECK(image.size() > 20'000); // a page of text and colour, not one flat colour (~5 KB)
}
