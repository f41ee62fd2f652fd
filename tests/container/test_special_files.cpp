// What a bind may not show a container: sockets, device nodes and FIFOs (special_files.hpp).
#include "container/support.hpp"

#include "lanes/container/exposure/dataset_links.hpp"
#include "lanes/container/exposure/special_files.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace mdivicom;
using namespace mdivicom::test;

TEST_CASE("a socket, FIFO or device node below a directory is found without following links", "[container][unit]")
{
  TempDir temp;
  fs::create_directories(temp / "tree" / "a" / "b");
  write_file(temp / "tree" / "a" / "file.txt", "data\n");
  fs::create_directories(temp / "elsewhere");
  REQUIRE(mkfifo((temp / "elsewhere" / "fifo").c_str(), 0600) == 0);
  fs::create_directory_symlink(temp / "elsewhere", temp / "tree" / "a" / "link"); // not followed
  auto none = container::find_special_file(temp / "tree");
  REQUIRE(none.ok());
  CHECK_FALSE(*none);

  REQUIRE(mkfifo((temp / "tree" / "a" / "b" / "fifo").c_str(), 0600) == 0);
  auto fifo = container::find_special_file(temp / "tree");
  REQUIRE(fifo.ok());
  REQUIRE(*fifo);
  CHECK((*fifo)->path == temp / "tree" / "a" / "b" / "fifo");
  CHECK((*fifo)->kind == "FIFO");
  fs::remove(temp / "tree" / "a" / "b" / "fifo");

  REQUIRE(mknod((temp / "tree" / "a" / "b" / "null").c_str(), S_IFCHR | 0600, makedev(1, 3)) == 0); // as root
  auto device = container::find_special_file(temp / "tree");
  REQUIRE(device.ok());
  REQUIRE(*device);
  CHECK((*device)->kind == "character device");
  fs::remove(temp / "tree" / "a" / "b" / "null");

  ListeningSocket agent(temp / "tree" / "S.gpg-agent");
  auto sock = container::find_special_file(temp / "tree");
  REQUIRE(sock.ok());
  REQUIRE(*sock);
  CHECK((*sock)->path == temp / "tree" / "S.gpg-agent");
  CHECK((*sock)->kind == "socket");
  std::string refusal = container::special_file_refusal(**sock, "the dataset");
  CHECK(refusal.find((temp / "tree" / "S.gpg-agent").string()) != std::string::npos);
  CHECK(refusal.find("remove it") != std::string::npos);
}

TEST_CASE("a directory that cannot be listed is reported, not passed over", "[container][unit]")
{
  TempDir temp;
  fs::create_directories(temp / "tree" / "locked");
  fs::permissions(temp / "tree" / "locked", fs::perms::none);
  // Root lists it anyway; as another user the walk must fail, naming where.
  auto result = container::find_special_file(temp / "tree");
  if (geteuid() == 0) {
    CHECK(result.ok());
  } else {
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().find((temp / "tree" / "locked").string()) != std::string::npos);
  }
  fs::permissions(temp / "tree" / "locked", fs::perms::owner_all);
}

TEST_CASE("a dataset link to a directory holding a live socket is refused naming the socket", "[container][unit]")
{
  // Like a link to a home directory that holds ~/.gnupg/S.gpg-agent, or to /var/run's docker.sock.
  TempDir temp;
  fs::create_directories(temp / "ds");
  fs::create_directories(temp / "home" / ".gnupg");
  write_file(temp / "home" / "notes.txt", "notes\n");
  ListeningSocket agent(temp / "home" / ".gnupg" / "S.gpg-agent");
  fs::create_directory_symlink(temp / "home", temp / "ds" / "home");
  auto binds = container::dataset_link_binds(temp / "ds", "/data", {"/out"});
  REQUIRE_FALSE(binds.ok());
  CHECK(binds.error().find((fs::canonical(temp / "home") / ".gnupg" / "S.gpg-agent").string()) != std::string::npos);
  CHECK(binds.error().find((temp / "ds" / "home").string()) != std::string::npos); // the link that binds it
}

TEST_CASE("a socket inside the dataset, its .git included, is refused", "[container][unit]")
{
  TempDir temp;
  fs::create_directories(temp / "ds" / ".git" / "annex");
  write_file(temp / "ds" / "a.txt", "a\n");
  fs::create_symlink("/nonexistent/is-not-data", temp / "ds" / ".git" / "annex" / "dangling"); // ignored
  auto clean = container::dataset_link_binds(temp / "ds", "/data", {"/out"});
  CHECK(clean.ok());
  {
    ListeningSocket engine(temp / "ds" / ".git" / "annex" / "ssh.sock");
    auto binds = container::dataset_link_binds(temp / "ds", "/data", {"/out"});
    REQUIRE_FALSE(binds.ok());
    CHECK(binds.error().find((temp / "ds" / ".git" / "annex" / "ssh.sock").string()) != std::string::npos);
  }
  fs::remove(temp / "ds" / ".git" / "annex" / "ssh.sock");
  REQUIRE(mkfifo((temp / "ds" / "pipe").c_str(), 0600) == 0);
  auto binds = container::dataset_link_binds(temp / "ds", "/data", {"/out"});
  REQUIRE_FALSE(binds.ok());
  CHECK(binds.error().find("FIFO " + (temp / "ds" / "pipe").string()) != std::string::npos);
}

TEST_CASE("a store bound whole for many links is checked for sockets as well", "[container][unit]")
{
  TempDir temp;
  fs::create_directories(temp / "ds");
  const fs::path store = temp / "store";
  for (size_t i = 0; i <= container::k_max_exact_link_binds; ++i) {
    const std::string key = "K" + std::to_string(i);
    fs::create_directories(store / key);
    write_file(store / key / key, key);
    fs::create_symlink(store / key / key, temp / "ds" / key);
  }
  fs::create_directories(store / "unlinked");
  REQUIRE(mkfifo((store / "unlinked" / "fifo").c_str(), 0600) == 0); // no link points here
  auto binds = container::dataset_link_binds(temp / "ds", "/data", {"/out"});
  REQUIRE_FALSE(binds.ok());
  CHECK(binds.error().find((fs::canonical(store) / "unlinked" / "fifo").string()) != std::string::npos);
}

TEST_CASE("a socket in an existing work directory is refused, a missing one is fine", "[container][unit]")
{
  TempDir temp;
  CHECK(container::writable_bind_problem(temp / "absent", "the work directory").empty());
  fs::create_directories(temp / "work" / "sub");
  CHECK(container::writable_bind_problem(temp / "work", "the work directory").empty());
  ListeningSocket left(temp / "work" / "sub" / "left.sock");
  std::string problem = container::writable_bind_problem(temp / "work", "the work directory");
  CHECK(problem.find((temp / "work" / "sub" / "left.sock").string()) != std::string::npos);
  CHECK(problem.find("the work directory") != std::string::npos);
  // A link to the directory is bound as the directory: walked the same.
  fs::create_directory_symlink(temp / "work", temp / "work-link");
  CHECK(container::writable_bind_problem(temp / "work-link", "the work directory").find("left.sock") !=
        std::string::npos);
}
