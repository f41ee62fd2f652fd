#include "container/support.hpp"

#include "lanes/container/exposure/submounts.hpp"

#include <sys/mount.h>

namespace fs = std::filesystem;
using namespace mdivicom;
using namespace mdivicom::test;

TEST_CASE("the mounts below a directory are read from mountinfo, sorted, each once", "[container][unit]")
{
  const std::string mountinfo = "22 1 8:1 / / rw - ext4 /dev/vda1 rw\n"
                                "30 22 0:40 / /data rw - tmpfs tmpfs rw\n"
                                "31 30 0:41 / /data/b/nfs rw - nfs4 srv:/x rw\n"
                                "32 30 0:42 / /data/a rw - tmpfs tmpfs rw\n"
                                "33 32 0:43 / /data/a rw - tmpfs tmpfs rw\n"   // mounted over: once
                                "34 22 0:44 / /database rw - tmpfs tmpfs rw\n" // a sibling, not below
                                "35 30 0:45 / /data/with\\040space rw - tmpfs tmpfs rw\n"
                                "36 22 0:46 / /other/data/x rw - tmpfs tmpfs rw"; // no final newline
  auto below = container::mounts_below("/data", mountinfo);
  CHECK(below == std::vector<fs::path>{"/data/a", "/data/b/nfs", "/data/with space"});
  CHECK(container::mounts_below("/data/", mountinfo) == below);
  CHECK(container::mounts_below("/data/a", mountinfo).empty()); // itself is not below itself
  CHECK(container::mounts_below("/nowhere", mountinfo).empty());
}

namespace {

// A tmpfs mounted inside the dataset for the test's life, and unmounted even when it fails.
class TmpfsMount
{
public:
  explicit TmpfsMount(const fs::path& where) : m_where(where)
  {
    fs::create_directories(where);
    m_mounted = ::mount("tmpfs", where.c_str(), "tmpfs", 0, "size=1m") == 0;
  }
  ~TmpfsMount()
  {
    if (m_mounted) {
      ::umount2(m_where.c_str(), MNT_DETACH);
    }
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  bool mounted() const { return m_mounted; }

private:
  fs::path m_where;
  bool m_mounted = false;
};

void submount_is_read_only(const TestEngine& engine)
{
  RunSetup setup(engine, {{"argv",
                           {"sh", "-c",
                            "cat /data/mnt/inside.txt; "
                            "echo x > /data/mnt/inside.txt && echo WROTE-SUBMOUNT; "
                            "touch /data/mnt/new.txt && echo CREATED-IN-SUBMOUNT; "
                            "touch /data/top.txt && echo CREATED-AT-TOP; true"}}});
  TmpfsMount tmpfs(setup.dataset() / "mnt");
  REQUIRE(tmpfs.mounted()); // the tests run as root (README)
  write_file(setup.dataset() / "mnt" / "inside.txt", "below the dataset\n");

  CaptureSink sink;
  RunOutcome outcome = setup.execute(sink);
  INFO(sink.out_text << sink.err_text << outcome.error.dump());
  CHECK(outcome.status == RunStatus::succeeded);
  CHECK(sink.out_text == "below the dataset\n");
  CHECK(read_file(setup.dataset() / "mnt" / "inside.txt") == "below the dataset\n");
  CHECK_FALSE(fs::exists(setup.dataset() / "mnt" / "new.txt"));
  bool listed = false;
  for (const auto& mount : outcome.facts["container"]["mounts"]) {
    if (mount["role"] == "dataset-submount") {
      listed = mount["source"] == (setup.dataset() / "mnt").string() && mount["target"] == "/data/mnt" &&
               mount["read_only"] == true;
    }
  }
  CHECK(listed);
}

} // namespace

ENGINE_TEST_CASE("a file system mounted inside the dataset is read-only in the container too", "[container]",
                 submount_is_read_only)
