#include "core/records/rocrate_update.hpp"

#include "core/records/rocrate.hpp"
#include "core/json/bounded.hpp"
#include "core/records/rocrate_builder.hpp"

#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/file_identity.hpp"
#include "core/records/scan.hpp"
#include "core/records/run_order.hpp"
#include "core/util/text_bytes.hpp"
#include "core/util/thread_pool.hpp"
#include "core/util/unique_fd.hpp"

#include <algorithm>
#include <functional>
#include <system_error>
#include <cerrno>
#include <optional>
#include <set>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

// Adding one run to the crate without reading every record: rebuilding from all records made
// each run cost more than the one before (80 records: 25 ms; 10,000: seconds).
namespace mdivicom {

namespace fs = std::filesystem;

namespace {

// The place of a run in the crate among the runs of a directory: from the same times, in the
// same way, as build_rocrate takes it from the record.
RunOrder action_run_order(const std::string& action_id, const json& action)
{
  const std::string prefix = run_action_id("");
  const std::string run_id = action_id.starts_with(prefix) ? action_id.substr(prefix.size()) : action_id;
  return run_order(run_id, text_of(action, "startTime"), text_of(action, "endTime"));
}

struct ListingRun
{
  std::string action_id; // "" when no run wrote the directory yet
  RunOrder order;
};

// The run that lists the files of output directory dir_id: the latest to write it.
ListingRun listing_run(CrateBuilder& crate, const std::string& dir_id)
{
  ListingRun latest;
  if (!crate.has(dir_id)) {
    return latest;
  }
  std::set<std::string> refs = {dir_id};
  for (const auto& part : crate.at(dir_id).value("hasPart", json::array())) {
    refs.insert(text_of(part, "@id"));
  }
  for (auto& [id, entity] : crate.entities()) {
    if (entity.value("@type", "") != "CreateAction" || !entity.contains("result") || !entity["result"].is_array()) {
      continue;
    }
    for (const auto& ref : entity["result"]) {
      if (refs.contains(text_of(ref, "@id"))) {
        RunOrder order = action_run_order(id, entity);
        if (latest.action_id.empty() || latest.order < order) {
          latest = {id, std::move(order)};
        }
        break;
      }
    }
  }
  return latest;
}

// The crate with one more run, or nullopt when `existing` is not a crate as this code writes
// them or already names the run.
// Takes the existing crate by value: its entities move into the new one, so a run touches
// about one crate's worth of memory instead of three (fresh pages are what a run pays for).
std::optional<json> add_run_to_crate(json existing, const fs::path& out_root, const std::string& run_id,
                                     const json& record)
{
  if (!existing.is_object() || !existing.contains("@graph") || !existing["@graph"].is_array()) {
    return std::nullopt;
  }
  CrateBuilder crate;
  json root;
  for (auto& entity : existing["@graph"]) {
    std::string id = entity.is_object() ? text_of(entity, "@id") : std::string();
    if (id.empty()) {
      return std::nullopt;
    }
    if (id == "./") {
      root = std::move(entity);
    } else if (id != "ro-crate-metadata.json" && id != k_process_run_profile) {
      crate.add(std::move(entity));
    }
  }
  existing = nullptr;
  if (!root.is_object() || !root.value("hasPart", json()).is_array() || !root.value("mentions", json()).is_array() ||
      !root.value("datePublished", json()).is_string() || crate.has(run_action_id(run_id))) {
    return std::nullopt;
  }
  CrateRuns runs{std::move(root["hasPart"]), std::move(root["mentions"]), root["datePublished"].get<std::string>()};

  bool list_files = true;
  auto outputs_root = wrote_output_dir(record) ? record_outputs_root(record) : std::nullopt;
  if (outputs_root) {
    const std::string dir_id = output_dir_id(*outputs_root);
    ListingRun previous = listing_run(crate, dir_id);
    if (!previous.action_id.empty() && record_run_order(run_id, record) < previous.order) {
      list_files = false; // the run that settled the directory last is already in the crate
    } else if (!previous.action_id.empty()) {
      // The directory now holds this run's files: the previous run's result becomes the directory.
      for (const auto& part : crate.at(dir_id)["hasPart"]) {
        crate.erase(text_of(part, "@id"));
      }
      crate.at(dir_id)["hasPart"] = json::array();
      crate.at(previous.action_id)["result"] = json::array({{{"@id", dir_id}}});
    }
  }
  add_run(crate, runs, run_id, record, list_files);
  // In run id order, as a crate built from every record has them.
  std::sort(runs.actions.begin(), runs.actions.end(),
            [](const json& a, const json& b) { return text_of(a, "@id") < text_of(b, "@id"); });
  return finish_crate(crate, runs, out_root);
}

size_t count_record_files(const fs::path& out_root)
{
  size_t count = 0;
  std::error_code error;
  for (const auto& item : fs::directory_iterator(out_root / "_runs", error)) {
    count += is_record_file_name(item.path().filename().string()) ? 1 : 0;
  }
  return count;
}

// An exclusive flock, released when the descriptor closes: two runs finishing into one out
// root take turns. Without the lock file (a read-only out root) the crate is written anyway.
UniqueFd lock_crate(const fs::path& path)
{
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  while (fd && ::flock(fd.get(), LOCK_EX) != 0 && errno == EINTR) {
  }
  return fd;
}

// A crate as read, with the open file it came from: while it is open its inode cannot be
// reused, so an unchanged identity at the path means the very same file.
struct ReadCrate
{
  UniqueFd file;
  FileIdentity identity;
  json crate; // null when missing or damaged
};

ReadCrate read_crate(const fs::path& path)
{
  ReadCrate read;
  read.file = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)); // a FIFO must not block
  struct stat info = {};
  if (!read.file || ::fstat(read.file.get(), &info) != 0) {
    return read;
  }
  read.identity = file_identity(info);
  try {
    read.crate = parse_json_bounded(read_open_file(read.file.get(), path));
  } catch (const std::exception&) {
    read.crate = nullptr; // missing or damaged: built again from the records
  }
  return read;
}

bool still_at(const ReadCrate& read, const fs::path& path)
{
  struct stat info = {};
  return read.file && ::stat(path.c_str(), &info) == 0 && file_identity(info) == read.identity;
}

// The crate with the run added to `read` (read again unless still current), or nullopt when
// it must be built from every record instead: missing, damaged, or not describing every
// record (a run whose runner died, a crate edited by hand).
std::optional<std::string> crate_text_with_run(ReadCrate read, const fs::path& out_root, const std::string& run_id,
                                               const json& record)
{
  const fs::path path = out_root / "ro-crate-metadata.json";
  if (!still_at(read, path)) {
    read = read_crate(path);
  }
  if (read.crate.is_null()) {
    return std::nullopt;
  }
  std::optional<json> crate = add_run_to_crate(std::move(read.crate), out_root, run_id, record);
  if (!crate || (*crate)["@graph"][1]["mentions"].size() != count_record_files(out_root)) {
    return std::nullopt;
  }
  return json_file_text(*crate);
}

} // namespace

struct RoCrateUpdate::State
{
  fs::path out_root;
  std::string run_id;
  ReadCrate read;
  std::jthread reading; // the constructor's read; joined by add()
  UniqueFd lock;
  std::optional<std::string> text; // nullopt: built from the records in commit()
  std::string error;
  std::jthread building; // add()'s work; joined by commit()
};

RoCrateUpdate::RoCrateUpdate(fs::path out_root, std::string run_id) : m_state(std::make_unique<State>())
{
  m_state->out_root = std::move(out_root);
  m_state->run_id = std::move(run_id);
  m_state->reading =
      start_or_run([state = m_state.get()] { state->read = read_crate(state->out_root / "ro-crate-metadata.json"); });
}

RoCrateUpdate::~RoCrateUpdate() = default; // the threads join before the state they use goes

void RoCrateUpdate::add(const json& record)
{
  if (m_state->reading.joinable()) {
    m_state->reading.join();
  }
  m_state->building = start_or_run([state = m_state.get(), record] {
    try {
      state->lock = lock_crate(state->out_root / "_runs" / ".ro-crate.lock");
      state->text = crate_text_with_run(std::move(state->read), state->out_root, state->run_id, record);
    } catch (const std::exception& e) {
      state->error = e.what();
    }
  });
}

void RoCrateUpdate::commit()
{
  if (m_state->building.joinable()) {
    m_state->building.join();
  }
  UniqueFd lock = std::move(m_state->lock); // released when this returns
  if (!m_state->error.empty()) {
    throw Error(m_state->error);
  }
  if (!m_state->text) {
    // Here, not on the thread: building from the records needs this run's final record on disk.
    m_state->text = json_file_text(build_rocrate(m_state->out_root));
  }
  // Built again from the records if lost, so atomic is enough.
  write_file_atomic(m_state->out_root / "ro-crate-metadata.json", *m_state->text, Durability::atomic);
}

void write_rocrate(const fs::path& out_root, const std::string& run_id, const json& record)
{
  RoCrateUpdate update(out_root, run_id);
  update.add(record);
  update.commit();
}

} // namespace mdivicom
