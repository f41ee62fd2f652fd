#include "container/support.hpp"

#include "lanes/container/exposure/dataset_links.hpp"

#include <cstring>
#include <set>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace mdivicom;
using namespace mdivicom::test;

namespace {

bool under(const fs::path& path, const fs::path& base)
{
  auto relative = path.lexically_relative(base);
  return !relative.empty() && *relative.begin() != "..";
}

// A DataLad/git-annex-like dataset: files are links into an object store outside the dataset.
struct AnnexedDataset
{
  TempDir temp;
  fs::path dataset = temp / "ds";
  fs::path store = temp / "annex" / "objects";

  AnnexedDataset()
  {
    fs::create_directories(dataset / "sub");
    fs::create_directories(store / "aa" / "KEY1");
    fs::create_directories(store / "bb" / "KEY2");
    write_file(store / "aa" / "KEY1" / "KEY1", "first\n");
    write_file(store / "bb" / "KEY2" / "KEY2", "second\n");
    write_file(dataset / "plain.txt", "plain\n");
    fs::create_symlink(store / "aa" / "KEY1" / "KEY1", dataset / "absolute.txt");             // absolute
    fs::create_symlink("../../annex/objects/bb/KEY2/KEY2", dataset / "sub" / "relative.txt"); // escapes
    fs::create_symlink("../plain.txt", dataset / "sub" / "inside.txt");                       // stays inside
  }
};

} // namespace

TEST_CASE("links out of a dataset become read-only binds of their targets where the container looks",
          "[container][unit]")
{
  AnnexedDataset data;
  auto binds = container::dataset_link_binds(data.dataset, "/data", {"/out", "/work", "/mdivicom/config.json"});
  REQUIRE(binds.ok());
  std::map<std::string, std::string> by_target;
  for (const auto& bind : *binds) {
    by_target[bind.container] = bind.host.string();
  }
  fs::path store = fs::canonical(data.store);
  // The absolute link needs the store at its own path; the relative one at /annex/objects/...
  CHECK(by_target.size() == 2);
  CHECK(by_target[(store / "aa" / "KEY1" / "KEY1").string()] == (store / "aa" / "KEY1" / "KEY1").string());
  CHECK(by_target["/annex/objects/bb/KEY2/KEY2"] == (store / "bb" / "KEY2" / "KEY2").string());
}

TEST_CASE("many links into one object store share a single bind", "[container][unit]")
{
  AnnexedDataset data;
  fs::create_symlink(data.store / "bb" / "KEY2" / "KEY2", data.dataset / "second.txt");
  auto binds = container::dataset_link_binds(data.dataset, "/data", {"/out"});
  REQUIRE(binds.ok());
  bool shared = false;
  for (const auto& bind : *binds) {
    shared = shared || bind.host == fs::canonical(data.store);
  }
  CHECK(shared);
}

TEST_CASE("binds show the container the linked objects of a store and none of the others", "[container][unit]")
{
  // A dataset cut from a larger annex: the store also holds objects of other datasets.
  AnnexedDataset data;
  fs::create_directories(data.store / "bb" / "KEY3");
  write_file(data.store / "bb" / "KEY3" / "KEY3", "another dataset's\n");
  fs::create_directories(data.store / "cc" / "KEY4");
  write_file(data.store / "cc" / "KEY4" / "KEY4", "another dataset's\n");
  fs::create_directories(data.store / "dd" / "KEY5");
  write_file(data.store / "dd" / "KEY5" / "KEY5", "fifth\n");
  fs::create_symlink(data.store / "bb" / "KEY2" / "KEY2", data.dataset / "second.txt");
  fs::create_symlink(data.store / "dd" / "KEY5", data.dataset / "fifth");
  auto binds = container::dataset_link_binds(data.dataset, "/data", {"/out"});
  REQUIRE(binds.ok());
  fs::path store = fs::canonical(data.store);
  std::set<std::pair<std::string, std::string>> host_to_container;
  for (const auto& bind : *binds) {
    host_to_container.insert({bind.host.string(), bind.container});
    CHECK_FALSE(bind.widened);
    for (const char* other : {"bb/KEY3/KEY3", "cc/KEY4/KEY4"}) {
      CHECK_FALSE(under(store / other, bind.host));
    }
  }
  // Absolute links' targets appear at their own path, the relative link's at /annex/...; below
  // the store, a directory all of whose entries are targets is bound whole (aa and dd hold one
  // object each, bb/KEY2 its one file).
  CHECK(host_to_container == std::set<std::pair<std::string, std::string>>{
                                 {(store / "aa").string(), (store / "aa").string()},
                                 {(store / "bb" / "KEY2").string(), (store / "bb" / "KEY2").string()},
                                 {(store / "bb" / "KEY2" / "KEY2").string(), "/annex/objects/bb/KEY2/KEY2"},
                                 {(store / "dd").string(), (store / "dd").string()}});
}

TEST_CASE("links to more objects than binds are worth are served by one bind of their store, marked widened",
          "[container][unit]")
{
  // The absolute links form one group: the AnnexedDataset's aa/KEY1 (bound whole) plus `count`
  // objects in many/, beside a file no link points to.
  for (size_t count : {container::k_max_exact_link_binds - 1, container::k_max_exact_link_binds}) {
    INFO(count);
    AnnexedDataset data;
    for (size_t i = 0; i < count; ++i) {
      std::string key = "MANY" + std::to_string(i);
      fs::create_directories(data.store / "many" / key);
      write_file(data.store / "many" / key / key, key);
      fs::create_symlink(data.store / "many" / key / key, data.dataset / (key + ".txt"));
    }
    write_file(data.store / "many" / "unlinked", "not a target\n");
    auto binds = container::dataset_link_binds(data.dataset, "/data", {"/out"});
    REQUIRE(binds.ok());
    fs::path store = fs::canonical(data.store);
    size_t widened = 0;
    for (const auto& bind : *binds) {
      widened += bind.widened ? 1 : 0;
      CHECK_FALSE(under(store / "many" / "unlinked", bind.host) != bind.widened);
    }
    // Exactly at the limit: one bind per object; past it, the store holding all of them.
    CHECK(binds->size() == (count == container::k_max_exact_link_binds ? 2 : count + 2));
    CHECK(widened == (count == container::k_max_exact_link_binds ? 1 : 0));
  }
}

TEST_CASE("a linked directory is bound whole and the links inside it resolve in the container too", "[container][unit]")
{
  AnnexedDataset data;
  // dd/ holds a file and a link to another object of the store; ee/ links back to dd/ (a cycle).
  fs::create_directories(data.store / "dd");
  write_file(data.store / "dd" / "own.txt", "own\n");
  fs::create_directories(data.store / "cc" / "KEY3");
  write_file(data.store / "cc" / "KEY3" / "KEY3", "third\n");
  fs::create_directories(data.store / "cc" / "KEY4");
  write_file(data.store / "cc" / "KEY4" / "KEY4", "not linked\n");
  fs::create_symlink("../cc/KEY3/KEY3", data.store / "dd" / "third.txt");
  fs::create_directories(data.store / "ee");
  fs::create_symlink("../dd", data.store / "ee" / "back");
  fs::create_symlink(data.store / "dd", data.dataset / "dir");
  fs::create_symlink(data.store / "dd" / "own.txt", data.dataset / "own.txt"); // inside the linked dir
  fs::create_symlink(data.store / "ee", data.dataset / "loop");
  auto binds = container::dataset_link_binds(data.dataset, "/data", {"/out"});
  REQUIRE(binds.ok());
  fs::path store = fs::canonical(data.store);
  std::set<std::string> hosts;
  for (const auto& bind : *binds) {
    hosts.insert(bind.host.string());
    if (bind.container.rfind("/annex/", 0) != 0) { // all but the AnnexedDataset's relative link
      CHECK(bind.container == bind.host.string());
    }
    CHECK_FALSE(under(store / "cc" / "KEY4" / "KEY4", bind.host));
  }
  CHECK(hosts.count((store / "dd").string()) == 1);
  CHECK(hosts.count((store / "ee").string()) == 1);
  CHECK(hosts.count((store / "cc" / "KEY3").string()) == 1); // the link inside dd/ resolves
}

TEST_CASE("a dangling dataset link is refused naming the link", "[container][unit]")
{
  AnnexedDataset data;
  fs::create_symlink(data.temp / "annex" / "objects" / "cc" / "MISSING", data.dataset / "sub" / "gone.txt");
  auto binds = container::dataset_link_binds(data.dataset, "/data", {"/out"});
  REQUIRE_FALSE(binds.ok());
  CHECK(binds.error().find((data.dataset / "sub" / "gone.txt").string()) != std::string::npos);
  CHECK(binds.error().find("datalad get") != std::string::npos);
}

TEST_CASE("a dataset link into a system path of the container is refused", "[container][unit]")
{
  TempDir temp;
  fs::create_directories(temp / "ds");
  fs::create_symlink("/etc/hostname", temp / "ds" / "host.txt");
  auto binds = container::dataset_link_binds(temp / "ds", "/data", {"/out"});
  REQUIRE_FALSE(binds.ok());
  CHECK(binds.error().find("/etc/hostname") != std::string::npos);
}

TEST_CASE("a dataset link to a socket, a FIFO or the host's runtime state is refused", "[container][unit]")
{
  // A read-only bind does not stop connect() on a socket: an ssh-agent, an X display or the
  // engine's own socket would be the plugin's.
  TempDir temp;
  fs::create_directories(temp / "ds");
  const fs::path socket_path = temp / "agent.sock";
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(mkfifo((temp / "fifo").c_str(), 0600) == 0);
  for (const fs::path& target : {socket_path, temp / "fifo", fs::path("/dev/null"), fs::path("/proc/self/status")}) {
    INFO(target);
    fs::remove(temp / "ds" / "link");
    fs::create_symlink(target, temp / "ds" / "link");
    auto binds = container::dataset_link_binds(temp / "ds", "/data", {"/out"});
    REQUIRE_FALSE(binds.ok());
    CHECK(binds.error().find((temp / "ds" / "link").string()) != std::string::npos);
    CHECK(binds.error().find("remove the link") != std::string::npos);
  }
  close(fd);
}

namespace {

void annexed_dataset_resolves(const TestEngine& engine)
{
  AnnexedDataset data;
  // An object of another dataset in the same store: not shown to the container.
  fs::create_directories(data.store / "aa" / "KEY3");
  write_file(data.store / "aa" / "KEY3" / "KEY3", "another dataset's\n");
  const std::string other = (fs::canonical(data.store) / "aa" / "KEY3" / "KEY3").string();
  fs::create_symlink(data.store / "bb" / "KEY2" / "KEY2", data.dataset / "second.txt");
  RunSetup setup(engine, {{"argv",
                           {"sh", "-c",
                            "cat /data/absolute.txt /data/sub/relative.txt /data/sub/inside.txt /data/second.txt; "
                            "echo x > /data/absolute.txt || echo read-only; "
                            "cat " +
                                other + " /annex/objects/aa/KEY3/KEY3 2>/dev/null || echo hidden"}}});
  setup.request().dataset_dir = data.dataset;
  CaptureSink sink;
  RunOutcome outcome = setup.execute(sink);
  INFO(sink.err_text << outcome.error.dump());
  CHECK(outcome.status == RunStatus::succeeded);
  CHECK(sink.out_text == "first\nsecond\nplain\nsecond\nread-only\nhidden\n");
  CHECK(read_file(data.store / "aa" / "KEY1" / "KEY1") == "first\n");
  int link_mounts = 0;
  for (const auto& mount : outcome.facts["container"]["mounts"]) {
    if (mount["role"] == "dataset-link-target") {
      ++link_mounts;
      CHECK(mount["read_only"] == true);
    }
  }
  CHECK(link_mounts == 3); // aa/KEY1 (KEY3 is beside it), bb (only KEY2 in it), /annex/objects/bb/KEY2/KEY2
}
ENGINE_TEST_CASE("a dataset of links into an annex outside it is readable in the container", "[container]",
                 annexed_dataset_resolves)

} // namespace
