#include "core/run/write_roots.hpp"

#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/text_bytes.hpp"

#include <optional>

#include <sys/stat.h>

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

// The first component of `path` that is a symbolic link whose target does not exist (yet): a
// check of where the path leads means nothing until it resolves.
std::optional<fs::path> dangling_link_in(const fs::path& path)
{
  std::error_code error;
  fs::path absolute = fs::absolute(path, error);
  fs::path prefix;
  for (const auto& part : absolute.lexically_normal()) {
    prefix /= part;
    struct stat info = {};
    if (::lstat(prefix.c_str(), &info) != 0) {
      return std::nullopt; // nothing below a missing component exists either
    }
    if (S_ISLNK(info.st_mode) && ::stat(prefix.c_str(), &info) != 0) {
      return prefix;
    }
  }
  return std::nullopt;
}

void refuse_dangling(const fs::path& path, const std::string& what)
{
  if (auto link = dangling_link_in(path)) {
    std::error_code ignored;
    throw usage_error(what + " " + printable(path.string()) + " goes through the symbolic link " +
                      printable(link->string()) + " to " + printable(fs::read_symlink(*link, ignored).string()) +
                      ", which does not exist yet; mdivicom cannot tell where it would write: create the directory "
                      "first or give a path without the link");
  }
}

// O/_runs and O/<id> are made and written by mdivicom: a link there would take its writes elsewhere.
void refuse_link(const fs::path& path, const std::string& what)
{
  struct stat info = {};
  if (::lstat(path.c_str(), &info) == 0 && S_ISLNK(info.st_mode)) {
    std::error_code ignored;
    throw usage_error(what + " " + printable(path.string()) + " is a symbolic link (to " +
                      printable(fs::read_symlink(path, ignored).string()) +
                      "); mdivicom writes there and follows no link: remove the link, or choose another --out");
  }
}

void refuse_within(const fs::path& path, const fs::path& root, const std::string& what, const std::string& where)
{
  if (is_same_or_within(path, root)) {
    throw usage_error(what + " " + printable(path.string()) + " resolves to " +
                      printable(resolved_path(path).string()) + ", inside " + where + " " +
                      printable(resolved_path(root).string()) + "; choose a directory outside it");
  }
}

} // namespace

void check_write_roots(const RunRequest& request, const bool work_dir_given, const fs::path& scratch_parent)
{
  const fs::path& dataset = request.dataset_dir;
  const fs::path runs_dir = request.out_root / "_runs";
  refuse_dangling(request.out_root, "--out");
  refuse_within(request.out_root, dataset, "--out", "the dataset");
  if (is_same_or_within(dataset, request.out_root)) {
    throw usage_error("--out " + printable(request.out_root.string()) + " contains the dataset " +
                      printable(dataset.string()) + "; choose an output directory that does not hold the dataset");
  }
  refuse_link(runs_dir, "the run record directory");
  refuse_link(request.plugin_out_dir, "the plugin's output directory");
  refuse_within(runs_dir, dataset, "the run record directory", "the dataset");
  refuse_within(request.plugin_out_dir, dataset, "the plugin's output directory", "the dataset");

  refuse_dangling(scratch_parent, "the scratch parent (TMPDIR)");
  // The plugin may write anywhere in its scratch dir (tmp/ and, without --work, work/).
  refuse_within(scratch_parent, dataset, "TMPDIR", "the dataset (the plugin's scratch dir would be writable there)");
  refuse_within(scratch_parent, runs_dir, "TMPDIR", "the run records");
  refuse_within(scratch_parent, request.plugin_out_dir, "TMPDIR", "the plugin's output directory");

  if (!work_dir_given) {
    return;
  }
  const fs::path& work = request.work_dir;
  refuse_dangling(work, "--work");
  refuse_within(work, dataset, "--work", "the dataset");
  if (is_same_or_within(dataset, work)) {
    throw usage_error("--work " + printable(work.string()) + " contains the dataset " + printable(dataset.string()) +
                      ", which would become writable; choose a directory beside it");
  }
  if (is_same_or_within(request.out_root, work)) {
    throw usage_error("--work " + printable(work.string()) + " contains --out " + printable(request.out_root.string()) +
                      " (its run records and other plugins' outputs); choose a directory outside it");
  }
  refuse_within(work, request.plugin_out_dir, "--work", "the plugin's output directory");
  refuse_within(work, runs_dir, "--work", "the run records' directory (where the run records are)");
}

} // namespace mdivicom
