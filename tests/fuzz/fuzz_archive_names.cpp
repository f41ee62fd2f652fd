// Entry names of a hostile dataset archive: the input is a list of entries, one a line,
// "<kind><name>[\t<link target or file text>]" with kind f (file), d (directory), l (symbolic
// link) or h (hard link). They are written into a real tar (or zip) archive and extracted as a
// --dataset archive is. Whatever the names, nothing may appear outside the destination and no
// link extracted may lead out of it.
#include "core/archive/archive.hpp"
#include "core/dataset/archive_extract.hpp"
#include "core/util/error.hpp"

#include "fuzz/fuzz_support.hpp"

#include <filesystem>

namespace fs = std::filesystem;

namespace {

struct Entry
{
  char kind = 'f';
  std::string name;
  std::string extra;
};

std::vector<Entry> entries_of(std::string_view text)
{
  std::vector<Entry> entries;
  size_t start = 0;
  while (start < text.size() && entries.size() < 64) {
    size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) {
      continue;
    }
    size_t tab = line.find('\t');
    std::string_view name = line.substr(1, tab == std::string_view::npos ? std::string_view::npos : tab - 1);
    std::string_view extra = tab == std::string_view::npos ? std::string_view() : line.substr(tab + 1);
    entries.push_back({line[0], std::string(name), std::string(extra)});
  }
  return entries;
}

// A work directory of this process: the archive, the destination, and a sibling that must stay
// untouched.
const fs::path& work_dir()
{
  static const mdivicom::fuzz::ScratchDir dir(fs::exists("/dev/shm") ? fs::path("/dev/shm")
                                                                     : fs::temp_directory_path());
  return dir.path();
}

bool inside(const fs::path& path, const fs::path& root)
{
  auto [root_end, path_it] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return root_end == root.end();
}

// Every entry in `dir` resolves (following links as a plugin would) inside `root`.
void check_inside(const fs::path& root)
{
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(root, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    fs::path resolved = fs::weakly_canonical(it->path(), error);
    if (!error) {
      MDIVICOM_FUZZ_CHECK(inside(resolved, root), it->path().native() + " -> " + resolved.native());
    }
    error.clear();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace mdivicom;
  if (size == 0) {
    return -1;
  }
  std::vector<Entry> entries = entries_of(fuzz::as_text(data + 1, size - 1));
  bool has_hardlink = std::any_of(entries.begin(), entries.end(), [](const Entry& e) { return e.kind == 'h'; });
  const bool zip = (data[0] & 1) != 0 && !has_hardlink;
  const fs::path archive = work_dir() / (zip ? "dataset.zip" : "dataset.tar");
  const fs::path destination = work_dir() / "dest";
  const fs::path sibling = work_dir() / "sibling";
  fs::remove_all(destination);
  fs::remove_all(sibling);
  fs::remove(work_dir() / "dataset.zip");
  fs::remove(work_dir() / "dataset.tar");
  fs::create_directories(destination);
  fs::create_directories(sibling);
  try {
    ArchiveWriter writer(archive, zip ? ArchiveFormat::zip : ArchiveFormat::tar);
    for (const Entry& entry : entries) {
      if (entry.kind == 'd') {
        writer.add_directory(entry.name, 0755, 0);
      } else if (entry.kind == 'l') {
        writer.add_symlink(entry.name, entry.extra, 0);
      } else if (entry.kind == 'h') {
        writer.add_hardlink(entry.name, entry.extra, 0);
      } else {
        writer.begin_file(entry.name, entry.extra.size(), entry.kind == 'x' ? 0755 : 0644, 0);
        writer.write_data(entry.extra.data(), entry.extra.size());
      }
    }
    writer.finish();
  } catch (const Error&) {
    return -1; // the writer refused the names (it is not what is fuzzed)
  }
  try {
    extract_archive_safely(archive, destination);
  } catch (const Error&) {
  }
  // Nothing outside the destination: the work dir holds the archive, dest and the empty sibling.
  size_t count = 0;
  for (const auto& item : fs::directory_iterator(work_dir())) {
    ++count;
    MDIVICOM_FUZZ_CHECK(item.path() == archive || item.path() == destination || item.path() == sibling,
                        item.path().native());
  }
  MDIVICOM_FUZZ_CHECK(count == 3 && fs::is_empty(sibling), "");
  check_inside(fs::canonical(destination));
  return 0;
}
