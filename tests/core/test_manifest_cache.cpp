#include <catch2/catch.hpp>

#include "core/plugins/manifest_cache.hpp"
#include "support/temp_dir.hpp"

#include <fstream>

#include <fcntl.h>

using namespace mdivicom;
using mdivicom::test::TempDir;
using mdivicom::test::write_file;

namespace fs = std::filesystem;

namespace {

constexpr int64_t k_second = 1'000'000'000;

// An identity last changed at `changed_ns`.
FileIdentity identity(uint64_t inode, int64_t size, int64_t changed_ns)
{
  return {1, inode, static_cast<uint64_t>(size), changed_ns, changed_ns};
}

PluginSummary summary(const std::string& id, const std::string& version = "1.0.0")
{
  return {"lab", id, "python", version, "", ""};
}

const int64_t k_now = 1'800'000'000 * k_second;
const int64_t k_old = k_now - 3600 * k_second;

std::string only_file_in(const fs::path& dir)
{
  std::string found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    found = entry.path().string();
  }
  return found;
}

} // namespace

TEST_CASE("a remembered manifest is found while its identity is unchanged", "[core][discovery][cache]")
{
  TempDir manifests, cache;
  {
    ManifestDirCache first(manifests.path(), cache.path(), k_now);
    first.remember("a.json", identity(10, 300, k_old), summary("a"));
    first.remember("b.json", identity(11, 300, k_old), summary("b", "2.0"));
    first.save({"a.json", "b.json"});
  }
  ManifestDirCache second(manifests.path(), cache.path(), k_now);
  auto found = second.find("b.json", identity(11, 300, k_old));
  REQUIRE(found);
  CHECK(found->ref() == "lab/b");
  CHECK(found->kind == "python");
  CHECK(found->version == "2.0");
  CHECK(found->origin == (manifests / "b.json").string());
  // Any change of identity is a miss: a write (size, times), a replacement (inode).
  CHECK_FALSE(second.find("b.json", identity(11, 301, k_old)));
  CHECK_FALSE(second.find("b.json", identity(12, 300, k_old)));
  CHECK_FALSE(second.find("b.json", identity(11, 300, k_old + 1)));
  CHECK_FALSE(second.find("c.json", identity(11, 300, k_old)));
  // Another directory has a cache of its own.
  TempDir other;
  CHECK_FALSE(ManifestDirCache(other.path(), cache.path(), k_now).find("b.json", identity(11, 300, k_old)));
}

TEST_CASE("files changed within the racy window, error plugins and removed files are not kept",
          "[core][discovery][cache]")
{
  TempDir manifests, cache;
  {
    ManifestDirCache first(manifests.path(), cache.path(), k_now);
    first.remember("fresh.json", identity(10, 300, k_now - k_second), summary("fresh"));
    first.remember("broken.json", identity(11, 300, k_old), {"", "broken", "error", "", "", "malformed JSON"});
    first.remember("gone.json", identity(12, 300, k_old), summary("gone"));
    first.remember("kept.json", identity(13, 300, k_old), summary("kept"));
    first.save({"broken.json", "fresh.json", "kept.json"});
  }
  ManifestDirCache second(manifests.path(), cache.path(), k_now);
  CHECK_FALSE(second.find("fresh.json", identity(10, 300, k_now - k_second)));
  CHECK_FALSE(second.find("broken.json", identity(11, 300, k_old)));
  CHECK_FALSE(second.find("gone.json", identity(12, 300, k_old)));
  CHECK(second.find("kept.json", identity(13, 300, k_old)));
}

TEST_CASE("any file name and field round-trips through the cache file", "[core][discovery][cache]")
{
  TempDir manifests, cache;
  const std::string name = std::string("tab\there\nnewline %41 \xff\xfe.json");
  PluginSummary odd{"pub\tx", "id%20", "python", "1.0\n2", "", ""};
  {
    ManifestDirCache first(manifests.path(), cache.path(), k_now);
    first.remember(name, identity(10, 300, k_old), odd);
    first.save({name});
  }
  auto found = ManifestDirCache(manifests.path(), cache.path(), k_now).find(name, identity(10, 300, k_old));
  REQUIRE(found);
  CHECK(found->publisher == odd.publisher);
  CHECK(found->id == odd.id);
  CHECK(found->version == odd.version);
}

TEST_CASE("a damaged or foreign cache file is ignored and replaced", "[core][discovery][cache]")
{
  TempDir manifests, cache;
  {
    ManifestDirCache first(manifests.path(), cache.path(), k_now);
    first.remember("a.json", identity(10, 300, k_old), summary("a"));
    first.save({"a.json"});
  }
  const std::string file = only_file_in(cache.path());
  std::string original;
  {
    std::ifstream in(file, std::ios::binary);
    original.assign(std::istreambuf_iterator<char>(in), {});
  }
  for (const std::string& damaged :
       {original + "garbage line\n", original.substr(0, original.size() - 8),
        "mdivicom manifest cache 0\t1 2 3 4 5\t/x\n" + original.substr(original.find('\n') + 1),
        std::string("\x00\x01\x02", 3), std::string()}) {
    write_file(file, damaged);
    ManifestDirCache cache_now(manifests.path(), cache.path(), k_now);
    CHECK_FALSE(cache_now.find("a.json", identity(10, 300, k_old)));
    cache_now.remember("a.json", identity(10, 300, k_old), summary("a"));
    cache_now.save({"a.json"});
    CHECK(ManifestDirCache(manifests.path(), cache.path(), k_now).find("a.json", identity(10, 300, k_old)));
  }
}

TEST_CASE("a cache that cannot be written only costs time", "[core][discovery][cache]")
{
  TempDir manifests, cache;
  write_file(cache / "not-a-dir", "x");
  ManifestDirCache unwritable(manifests.path(), cache / "not-a-dir" / "manifests", k_now);
  unwritable.remember("a.json", identity(10, 300, k_old), summary("a"));
  CHECK_NOTHROW(unwritable.save({"a.json"}));
  ManifestDirCache none(manifests.path(), fs::path(), k_now);
  none.remember("a.json", identity(10, 300, k_old), summary("a"));
  CHECK_NOTHROW(none.save({"a.json"}));
  CHECK_FALSE(none.find("a.json", identity(10, 300, k_old)));
}
