#include <catch2/catch.hpp>

#include "core/records/inventory.hpp"
#include "core/records/inventory_parse.hpp"
#include "core/hash/sha256.hpp"
#include "core/util/fs.hpp"
#include "support/temp_dir.hpp"

#include <fstream>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using mdivicom::EntryType;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;

namespace {

const mdivicom::InventoryEntry* find(const mdivicom::Inventory& inventory, const std::string& path)
{
  for (const auto& entry : inventory.entries) {
    if (entry.path == path) {
      return &entry;
    }
  }
  return nullptr;
}

} // namespace

TEST_CASE("an inventory lists every file with its size and sha256, and every empty directory, sorted by path",
          "[core][inventory]")
{
  TempDir dir;
  write_file(dir / "b.csv", "1,2\n");
  write_file(dir / "a/deep/x.bin", std::string(3 << 20, 'x'));
  write_file(dir / "a/empty.txt", "");
  fs::create_directories(dir / "empty_dir");

  auto inventory = mdivicom::take_inventory(dir.path());
  REQUIRE(inventory.entries.size() == 4);
  CHECK(inventory.entries[0].path == "a/deep/x.bin");
  CHECK(inventory.entries[1].path == "a/empty.txt");
  CHECK(inventory.entries[2].path == "b.csv");
  CHECK(inventory.entries[3].path == "empty_dir");
  CHECK(inventory.entries[3].type == mdivicom::EntryType::directory);
  CHECK(inventory.entries[3].error.empty());
  CHECK(mdivicom::inventory_line(inventory.entries[3]) == "{\"path\":\"empty_dir\",\"type\":\"directory\"}\n");
  CHECK(inventory.entries[0].size == (3u << 20));
  CHECK(inventory.entries[0].sha256 == mdivicom::sha256_hex(std::string(3 << 20, 'x')));
  CHECK(inventory.entries[1].sha256 == mdivicom::sha256_hex(""));
  CHECK(inventory.entries[2].sha256 == mdivicom::sha256_hex("1,2\n"));
  CHECK(inventory.total_bytes() == (3u << 20) + 4);
}

TEST_CASE("inventories with one worker and with many agree", "[core][inventory]")
{
  TempDir dir;
  for (int i = 0; i < 50; ++i) {
    write_file(dir / ("f" + std::to_string(i)),
               std::string(static_cast<size_t>(i) * 1000, static_cast<char>('a' + i % 26)));
  }
  auto one = mdivicom::take_inventory(dir.path(), {"test", 1, false});
  auto many = mdivicom::take_inventory(dir.path(), {"test", 7, false});
  CHECK(one.entries == many.entries);
  CHECK(one.tree_sha256() == many.tree_sha256());
}

TEST_CASE("a symlink in the outputs is recorded with its target and never followed", "[core][inventory]")
{
  TempDir outside;
  write_file(outside / "secret.txt", "secret");
  TempDir dir;
  write_file(dir / "data/real.txt", "real");
  fs::create_symlink("real.txt", dir / "data/inside");
  fs::create_symlink(outside / "secret.txt", dir / "absolute");
  fs::create_symlink("../../x", dir / "data/climbs");
  fs::create_symlink(outside.path(), dir / "linked_dir");

  auto inventory = mdivicom::take_inventory(dir.path());
  const auto* inside = find(inventory, "data/inside");
  REQUIRE(inside);
  CHECK(inside->type == EntryType::symlink);
  CHECK(inside->target == "real.txt");
  CHECK_FALSE(inside->escapes);
  CHECK(inside->sha256.empty());
  const auto* absolute = find(inventory, "absolute");
  REQUIRE(absolute);
  CHECK(absolute->escapes);
  CHECK(find(inventory, "data/climbs")->escapes);
  const auto* linked_dir = find(inventory, "linked_dir");
  REQUIRE(linked_dir);
  CHECK(linked_dir->type == EntryType::symlink);
  CHECK(find(inventory, "linked_dir/secret.txt") == nullptr);
}

TEST_CASE("link_stays_inside refuses every way out, including a dir/.. trick", "[core][inventory]")
{
  using mdivicom::link_stays_inside;
  CHECK(link_stays_inside("a/b/link", "../c"));
  CHECK(link_stays_inside("a/b/link", "../../c"));
  CHECK(link_stays_inside("link", "a/./b"));
  CHECK_FALSE(link_stays_inside("a/b/link", "../../../c"));
  CHECK_FALSE(link_stays_inside("link", "/etc/passwd"));
  CHECK_FALSE(link_stays_inside("link", ""));
  CHECK_FALSE(link_stays_inside("a/link", "dot/../../x")); // "dot" may itself be a link to "."
  CHECK_FALSE(link_stays_inside("link", ".."));
}

TEST_CASE("special files are recorded by type, not read", "[core][inventory]")
{
  TempDir dir;
  REQUIRE(::mkfifo((dir / "pipe").c_str(), 0644) == 0);
  write_file(dir / "x", "x");
  auto inventory = mdivicom::take_inventory(dir.path());
  const auto* pipe = find(inventory, "pipe");
  REQUIRE(pipe);
  CHECK(pipe->type == EntryType::fifo);
  CHECK(pipe->sha256.empty());
}

TEST_CASE("an unreadable file is recorded with an error instead of being skipped", "[core][inventory]")
{
  TempDir dir;
  fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
  write_file(dir / "locked", "x");
  write_file(dir / "open", "y");
  fs::permissions(dir / "open", fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  fs::permissions(dir / "locked", fs::perms::none);
  // Root reads everything: check as an unprivileged user in a child process.
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) {
      ::_exit(3);
    }
    auto inventory = mdivicom::take_inventory(dir.path(), {"test", 2, false});
    const auto* locked = find(inventory, "locked");
    const auto* open = find(inventory, "open");
    bool ok = locked && !locked->error.empty() && locked->sha256.empty() && open && open->error.empty() &&
              open->sha256 == mdivicom::sha256_hex("y") && inventory.entries.size() == 2;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("the tree hash follows contents and names but not modification times", "[core][inventory]")
{
  TempDir dir;
  write_file(dir / "a.txt", "one");
  write_file(dir / "b.txt", "two");
  const std::string before = mdivicom::take_inventory(dir.path()).tree_sha256();
  fs::last_write_time(dir / "a.txt", fs::file_time_type::clock::now() - std::chrono::hours(30));
  CHECK(mdivicom::take_inventory(dir.path()).tree_sha256() == before);
  write_file(dir / "a.txt", "One");
  CHECK(mdivicom::take_inventory(dir.path()).tree_sha256() != before);
}

TEST_CASE("entries round-trip through JSON, names that are not UTF-8 included", "[core][inventory]")
{
  TempDir dir;
  const std::string odd = std::string("caf\xe9 \n name", 11);
  write_file(dir / odd, "bytes");
  write_file(dir / "ok.txt", "ok");
  fs::create_symlink(std::string("t\xff", 2), dir / "link");
  auto inventory = mdivicom::take_inventory(dir.path());
  for (const auto& entry : inventory.entries) {
    nlohmann::json value = mdivicom::entry_to_json(entry);
    CHECK_NOTHROW(value.dump());
    auto back = mdivicom::entry_from_json(nlohmann::json::parse(value.dump()));
    REQUIRE(back.ok());
    CHECK(*back == entry);
  }
  auto entry = mdivicom::entry_to_json(*find(inventory, odd));
  CHECK(entry.contains("path_hex"));
}

TEST_CASE("the record fragment embeds small inventories and points to a file for big ones", "[core][inventory]")
{
  TempDir out;
  for (int i = 0; i < 12; ++i) {
    write_file(out / "plug" / ("f" + std::to_string(i) + ".txt"), std::to_string(i));
  }
  auto small = mdivicom::record_outputs(out.path(), out / "plug", "20250101T000000Z_0000abcd");
  CHECK(small["root"] == "plug");
  CHECK(small["file_count"] == 12);
  REQUIRE(small["files"].size() == 12);
  CHECK_FALSE(small.contains("inventory_path"));

  auto big = mdivicom::record_outputs(out.path(), out / "plug", "20250101T000000Z_0000abcd", 5);
  CHECK_FALSE(big.contains("files"));
  CHECK(big["inventory_path"] == "_runs/20250101T000000Z_0000abcd.inventory.jsonl");
  CHECK(big["tree_sha256"] == small["tree_sha256"]);
  const std::string text = mdivicom::test::read_file(out / "_runs/20250101T000000Z_0000abcd.inventory.jsonl");
  CHECK(big["inventory_sha256"] == mdivicom::sha256_hex(text));
  CHECK(std::count(text.begin(), text.end(), '\n') == 13);
}

TEST_CASE("the record fragment of a missing output directory says so", "[core][inventory]")
{
  TempDir out;
  auto fragment = mdivicom::record_outputs(out.path(), out / "never_made", "20250101T000000Z_0000abcd");
  CHECK(fragment["file_count"] == 0);
  REQUIRE(fragment.contains("warnings"));
  CHECK(fragment["warnings"][0].get<std::string>().find("does not exist") != std::string::npos);
}

TEST_CASE("an output directory replaced by a symbolic link is not read through", "[core][inventory]")
{
  TempDir outside;
  write_file(outside / "secret.txt", "secret");
  TempDir out;
  fs::create_directory_symlink(outside.path(), out / "plug");
  auto fragment = mdivicom::record_outputs(out.path(), out / "plug", "20250101T000000Z_0000abcd");
  CHECK(fragment["file_count"] == 0);
  REQUIRE(fragment.contains("warnings"));
  CHECK(fragment["warnings"][0].get<std::string>().find("not followed") != std::string::npos);
}

TEST_CASE("inventory lines are exactly the compact sorted JSON of each entry", "[core][inventory]")
{
  using mdivicom::InventoryEntry;
  std::vector<InventoryEntry> entries;
  auto file = [](std::string path) {
    InventoryEntry entry;
    entry.path = std::move(path);
    entry.size = 12;
    entry.sha256 = std::string(64, 'a');
    return entry;
  };
  entries.push_back(file("plain.csv"));
  entries.push_back(file(std::string("ctl\x01\x1f\x7f \"q\" \\ /\b\f\n\r\t", 19)));
  entries.push_back(file("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  entries.push_back(file(std::string("bad\xff\xfe", 5)));
  entries.back().executable = true;
  InventoryEntry unreadable = file("locked");
  unreadable.sha256.clear();
  unreadable.error = std::string("Permission denied \xff", 19);
  entries.push_back(unreadable);
  InventoryEntry link;
  link.path = "l";
  link.type = EntryType::symlink;
  link.target = std::string("../\xfe", 4);
  link.escapes = true;
  entries.push_back(link);
  InventoryEntry pipe;
  pipe.path = "p";
  pipe.type = EntryType::fifo;
  entries.push_back(pipe);
  InventoryEntry dir;
  dir.path = "d";
  dir.type = EntryType::directory;
  dir.error = "cannot open directory: Permission denied";
  entries.push_back(dir);
  for (const auto& entry : entries) {
    INFO(mdivicom::entry_to_json(entry).dump());
    CHECK(mdivicom::inventory_line(entry) == mdivicom::entry_to_json(entry).dump() + "\n");
    auto back = mdivicom::parse_inventory_line(mdivicom::inventory_line(entry));
    REQUIRE(back.ok());
    CHECK(back->path == entry.path);
  }
}
