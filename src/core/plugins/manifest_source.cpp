#include "core/plugins/manifest_source.hpp"

#include "core/json/bounded.hpp"
#include "core/plugins/manifest_problems.hpp"
#include "core/util/dir_handle.hpp"
#include "core/util/fs.hpp"

#include "build_info.hpp"
#include "core/util/install_layout.hpp"
#include "core/plugins/manifest_cache.hpp"
#include "core/util/join.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

// Manifests larger than this are refused unread: no real manifest comes near it.
constexpr std::uintmax_t k_max_manifest_bytes = std::uintmax_t{4} << 20;

struct LoadedJson
{
  nlohmann::json value;
  std::string problem; // set when the file could not be read or parsed
};

// open, read, close: three system calls for a manifest of usual size, no heap buffer (this
// runs once per manifest on every listing). dir_fd: AT_FDCWD, or the open directory `path` is
// relative to (saves the kernel walking the whole path each time).
LoadedJson read_json_file(const fs::path& path, int dir_fd = AT_FDCWD)
{
  // O_NONBLOCK: a FIFO named *.json must not hang the listing (regular files ignore it).
  int fd = ::openat(dir_fd, path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return {{}, std::string("cannot open for reading: ") + std::strerror(errno)};
  }
  std::array<char, 32768> first;
  std::string more; // only for manifests larger than `first`
  size_t used = 0;
  std::string problem;
  while (problem.empty()) {
    char* into = used < first.size() ? first.data() + used : nullptr;
    size_t room = used < first.size() ? first.size() - used : 0;
    if (into == nullptr) {
      if (more.empty()) {
        more.assign(first.data(), first.size());
      }
      more.resize(std::max(more.size() * 2, used + 65536));
      into = more.data() + used;
      room = more.size() - used;
    }
    ssize_t got = ::read(fd, into, room);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      problem = std::string("cannot read: ") + std::strerror(errno);
    } else if (got == 0) {
      break;
    } else if ((used += static_cast<size_t>(got)) > k_max_manifest_bytes) {
      problem = "file is larger than " + std::to_string(k_max_manifest_bytes) + " bytes, the most a manifest may have";
    }
  }
  ::close(fd);
  if (!problem.empty()) {
    return {{}, problem};
  }
  const char* text = more.empty() ? first.data() : more.data();
  try {
    return {parse_json_bounded(std::string_view(text, used)), ""};
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann's message starts with "[json.exception.parse_error.101] parse error at ..."
    std::string message = e.what();
    auto start = message.find("parse error");
    return {{}, "malformed JSON: " + (start == std::string::npos ? message : message.substr(start))};
  } catch (const nlohmann::json::out_of_range& e) {
    // "[json.exception.out_of_range.406] number overflow parsing '1e400'"
    std::string message = e.what();
    auto start = message.find("number overflow");
    return {{},
            "malformed JSON: " + (start == std::string::npos ? message : message.substr(start)) +
                " (beyond a double; no manifest field takes such a number)"};
  }
}

} // namespace

fs::path builtin_manifest_dir()
{
  fs::path exe_dir = executable_dir();
  fs::path installed = exe_dir.parent_path() / build_info::k_install_datadir_relative / "mdivicom" / "manifests";
  std::error_code error;
  if (!exe_dir.empty() && fs::is_directory(installed, error)) {
    return installed;
  }
  if (running_from_build_tree()) {
    return fs::path(build_info::k_source_dir) / "manifests";
  }
  return fs::path(build_info::k_install_datadir) / "mdivicom" / "manifests";
}

std::vector<fs::path> manifest_search_path()
{
  std::vector<fs::path> dirs;
  for (const auto& dir : split_path_list(std::getenv("MDIVICOM_PLUGIN_PATH"))) {
    dirs.emplace_back(dir);
  }
  const char* xdg = std::getenv("XDG_DATA_HOME");
  const char* home = std::getenv("HOME");
  if (xdg != nullptr && *xdg != '\0') {
    dirs.push_back(fs::path(xdg) / "mdivicom" / "plugins");
  } else if (home != nullptr && *home != '\0') {
    dirs.push_back(fs::path(home) / ".local" / "share" / "mdivicom" / "plugins");
  }
  dirs.push_back(builtin_manifest_dir());
  return dirs;
}

std::vector<ManifestProblem> find_manifest_problems(const fs::path& path)
{
  LoadedJson loaded = read_json_file(path);
  if (!loaded.problem.empty()) {
    return {{"", loaded.problem}};
  }
  return manifest_problems(loaded.value);
}

std::vector<std::string> check_manifest(const fs::path& path)
{
  std::vector<std::string> lines;
  for (const auto& problem : find_manifest_problems(path)) {
    lines.push_back(path.string() + ": " + to_string(problem));
  }
  return lines;
}

namespace {

// `name` is relative to the open directory dir_fd (AT_FDCWD: path is used as is).
Plugin load_manifest_at(const fs::path& path, int dir_fd, const fs::path& name)
{
  PluginOrigin origin;
  origin.manifest_path = path.string();
  LoadedJson loaded = read_json_file(name, dir_fd);
  if (!loaded.problem.empty()) {
    return error_plugin(origin, path.stem().string(), loaded.problem);
  }
  std::vector<ManifestProblem> found = manifest_problems(loaded.value);
  if (!found.empty()) {
    std::vector<std::string> problems;
    for (const auto& problem : found) {
      problems.push_back(to_string(problem));
    }
    std::string id = path.stem().string();
    // A copy: value() returns a temporary, which a pointer into would outlive.
    nlohmann::json meta_id =
        loaded.value.is_object() ? loaded.value.value("/meta/id"_json_pointer, nlohmann::json()) : nlohmann::json();
    if (meta_id.is_string() && is_valid_slug(meta_id.get_ref<const std::string&>())) {
      id = meta_id.get<std::string>();
    }
    return error_plugin(origin, id, join(problems, "; "));
  }
  return normalize_plugin(std::move(loaded.value), origin);
}

Plugin load_manifest_safely(const fs::path& dir, int dir_fd, const std::string& name)
{
  try {
    return load_manifest_at(dir / name, dir_fd, name);
  } catch (const std::exception& error) {
    PluginOrigin origin;
    origin.manifest_path = (dir / name).string();
    return error_plugin(origin, fs::path(name).stem().string(), error.what());
  }
}

// Reading and validating is most of a listing's time, so helper threads (one per further core)
// load manifests ahead while this thread hands them over in name order. The threads are joined
// before returning.
template <typename Loaded, typename Load, typename HandOver>
void load_in_order(size_t count, const Load& load, const HandOver& hand_over)
{
  constexpr size_t k_min_per_thread = 64; // below this a thread costs more than it saves
  size_t helpers = std::min<size_t>(std::max(std::thread::hardware_concurrency(), 1u) - 1, count / k_min_per_thread);
  if (helpers == 0) {
    for (size_t index = 0; index < count; ++index) {
      hand_over(index, load(index));
    }
    return;
  }
  std::vector<std::optional<Loaded>> slots(count);
  std::atomic<size_t> next{0};
  std::mutex mutex;
  std::condition_variable loaded;
  auto load_one = [&](size_t index) {
    Loaded item = load(index);
    std::lock_guard lock(mutex);
    slots[index] = std::move(item);
    loaded.notify_all();
  };
  std::vector<std::jthread> threads;
  for (size_t i = 0; i < helpers; ++i) {
    threads.emplace_back([&] {
      for (size_t index = next++; index < count; index = next++) {
        load_one(index);
      }
    });
  }
  for (size_t wanted = 0; wanted < count; ++wanted) {
    std::unique_lock lock(mutex);
    while (!slots[wanted]) {
      lock.unlock();
      size_t index = next++;
      if (index >= count) {
        lock.lock();
        loaded.wait(lock, [&] { return slots[wanted].has_value(); });
        break;
      }
      load_one(index);
      lock.lock();
    }
    Loaded item = std::move(*slots[wanted]);
    slots[wanted].reset();
    lock.unlock();
    hand_over(wanted, std::move(item));
  }
}

struct LoadedSummary
{
  PluginSummary summary;
  std::optional<FileIdentity> read_from; // set when the manifest was read, not found in the cache
};

// The *.json files of a directory (directories named so are skipped), sorted; empty when the
// directory cannot be opened (a missing directory on the search path is normal).
std::vector<std::string> manifest_names(DIR* stream)
{
  int dir_fd = ::dirfd(stream);
  std::vector<std::string> names;
  while (const dirent* item = ::readdir(stream)) {
    std::string_view name = item->d_name;
    if (name.size() <= 5 || name.substr(name.size() - 5) != ".json") {
      continue;
    }
    struct stat info = {};
    bool is_dir = item->d_type == DT_DIR || ((item->d_type == DT_UNKNOWN || item->d_type == DT_LNK) &&
                                             ::fstatat(dir_fd, item->d_name, &info, 0) == 0 && S_ISDIR(info.st_mode));
    if (!is_dir) {
      names.emplace_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

} // namespace

Plugin load_manifest(const fs::path& path)
{
  return load_manifest_at(path, AT_FDCWD, path);
}

ManifestDirSource::ManifestDirSource(std::vector<fs::path> dirs) : m_dirs(std::move(dirs)) {}

void ManifestDirSource::for_each_dir(
    const std::function<void(const fs::path& dir, int dir_fd, const std::vector<std::string>& names)>& visit_dir)
{
  m_places.clear();
  for (const auto& dir : m_dirs) {
    DirHandle stream(::opendir(dir.c_str()));
    if (!stream) {
      const int error = errno;
      m_places.push_back("manifest directory " + dir.string() + ": " +
                         (error == ENOENT ? std::string("missing") : std::strerror(error)));
      continue;
    }
    std::vector<std::string> names = manifest_names(stream.get());
    m_places.push_back("manifest directory " + dir.string() + ": " + std::to_string(names.size()) +
                       (names.size() == 1 ? " manifest file" : " manifest files"));
    visit_dir(dir, ::dirfd(stream.get()), names);
  }
}

void ManifestDirSource::describe_search(PluginSearch& search) const
{
  search.places.insert(search.places.end(), m_places.begin(), m_places.end());
  search.tries.emplace_back("MDIVICOM_PLUGIN_PATH=DIR[:DIR...] to search the entry manifests (*.json) in DIR first");
}

void ManifestDirSource::visit(const PluginVisitor& found)
{
  for_each_dir([&](const fs::path& dir, int dir_fd, const std::vector<std::string>& names) {
    load_in_order<Plugin>(
        names.size(), [&](size_t index) { return load_manifest_safely(dir, dir_fd, names[index]); },
        [&](size_t, Plugin&& plugin) { found(std::move(plugin)); });
  });
}

void ManifestDirSource::visit_summaries(const SummaryVisitor& found)
{
  const fs::path cache_dir = ManifestDirCache::default_dir();
  for_each_dir([&](const fs::path& dir, int dir_fd, const std::vector<std::string>& names) {
    ManifestDirCache cache(dir, cache_dir, wall_clock_ns());
    // Identity first, then the read: content newer than its identity only costs a re-read.
    auto load = [&](size_t index) {
      auto identity = file_identity_at(dir_fd, names[index].c_str());
      if (identity) {
        if (auto cached = cache.find(names[index], *identity)) {
          return LoadedSummary{std::move(*cached), std::nullopt};
        }
      }
      return LoadedSummary{PluginSummary::of(load_manifest_safely(dir, dir_fd, names[index])), identity};
    };
    std::vector<std::pair<size_t, LoadedSummary>> read; // remembered after the threads are done
    load_in_order<LoadedSummary>(names.size(), load, [&](size_t index, LoadedSummary&& loaded) {
      found(PluginSummary(loaded.summary));
      if (loaded.read_from) {
        read.emplace_back(index, std::move(loaded));
      }
    });
    for (const auto& [index, loaded] : read) {
      cache.remember(names[index], *loaded.read_from, loaded.summary);
    }
    cache.save(names);
  });
}

} // namespace mdivicom
