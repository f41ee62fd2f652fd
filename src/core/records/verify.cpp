#include "core/records/verify.hpp"

#include "core/records/verify_runs.hpp"
#include "core/records/verify_pack.hpp"

#include "core/archive/archive.hpp"
#include "core/util/error.hpp"
#include "core/records/inventory.hpp"
#include "core/records/scan.hpp"
#include "core/util/text_bytes.hpp"
#include "core/util/utf8.hpp"
#include "core/util/unique_fd.hpp"

#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdivicom {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr uint64_t k_max_member_bytes = 1ull << 30; // a record or inventory file

// One allocation, one copy: inventories of 100,000 files are tens of megabytes.
std::string read_whole_file(const fs::path& path)
{
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  struct stat info = {};
  if (!fd || ::fstat(fd.get(), &info) != 0) {
    throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
  }
  if (static_cast<uint64_t>(info.st_size) > k_max_member_bytes) {
    throw Error("refusing to read " + path.string() + ": larger than " + std::to_string(k_max_member_bytes) + " bytes");
  }
  std::string text(static_cast<size_t>(info.st_size), '\0');
  size_t done = 0;
  while (done < text.size()) {
    ssize_t count = ::read(fd.get(), text.data() + done, text.size() - done);
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count <= 0) {
      throw Error("cannot read " + path.string() + ": " +
                  (count < 0 ? std::strerror(errno) : "it shrank while being read"));
    }
    done += static_cast<size_t>(count);
  }
  return text;
}

// The earlier outputs of a directory, parked by a run that was killed before it settled: its
// record still says "running", _runs/<run_id>.previous is there, and no runner holds the slot.
struct ParkedOutputs
{
  size_t killed = 0;     // index of the killed run's record
  std::string parked_at; // relative to the out root
};

bool slot_in_use(const fs::path& out_root, const std::string& root)
{
  const fs::path lock = out_root / "_runs" / ("." + fs::path(root).filename().string() + ".lock");
  UniqueFd fd(::open(lock.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  return fd && ::flock(fd.get(), LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
}

std::map<std::string, ParkedOutputs> find_parked_outputs(const fs::path& out_root,
                                                         const std::vector<RecordFile>& records)
{
  std::map<std::string, ParkedOutputs> parked;
  for (size_t index = 0; index < records.size(); ++index) {
    const RecordFile& file = records[index];
    if (!file.error.empty() || file.record.value("status", nlohmann::json()) != "running" ||
        file.record.contains("outputs")) {
      continue;
    }
    const std::string parked_at = "_runs/" + file.run_id + ".previous";
    struct stat info = {};
    auto root = record_outputs_root(file.record);
    if (root && ::lstat((out_root / parked_at).c_str(), &info) == 0 && S_ISDIR(info.st_mode) &&
        !slot_in_use(out_root, *root)) {
      parked[*root] = {index, parked_at};
    }
  }
  return parked;
}

// The killed run cannot be checked; the run before it is checked where its files are now.
void report_parked_outputs(VerifyReport& report, const std::map<std::string, ParkedOutputs>& parked)
{
  for (const auto& [root, outputs] : parked) {
    RunCheck& killed = report.runs[outputs.killed];
    killed.state = "unchecked";
    killed.root = root;
    killed.message = "mdivicom was killed during this run while the earlier outputs of " + root + " were parked in " +
                     outputs.parked_at +
                     " (intact, and checked there); the next run of the plugin into this --out "
                     "puts them back, or move them back by hand: " +
                     root + " -> " + outputs.parked_at + ".failed, " + outputs.parked_at + " -> " + root;
    for (RunCheck& check : report.runs) {
      if (check.root == root && (check.state == "ok" || check.state == "mismatch")) {
        check.message = "checked in " + outputs.parked_at + ", where the killed run " + killed.run_id + " parked them";
      }
    }
  }
}

VerifyReport verify_directory(const fs::path& out_root)
{
  std::error_code error;
  if (!fs::is_directory(out_root, error)) {
    throw usage_error("cannot verify " + out_root.string() + ": " +
                      (fs::exists(out_root, error) ? "not a directory or pack" : "no such directory") +
                      "; give the --out directory of a run or a pack file");
  }
  auto read_member = [&](const std::string& relative) -> std::optional<std::string> {
    struct stat info = {};
    if (::lstat((out_root / relative).c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
      return std::nullopt;
    }
    return read_whole_file(out_root / relative);
  };
  const std::vector<RecordFile> records = scan_run_records(out_root);
  const std::map<std::string, ParkedOutputs> parked = find_parked_outputs(out_root, records);
  auto read_actual = [&](const std::string& root) -> std::optional<std::vector<InventoryEntry>> {
    auto killed = parked.find(root);
    const std::string where = killed == parked.end() ? root : killed->second.parked_at;
    struct stat info = {};
    if (::lstat((out_root / where).c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
      return std::nullopt;
    }
    return take_inventory(out_root / where, {"outputs in " + (out_root / where).string(), 0, true}).entries;
  };
  std::set<size_t> killed;
  for (const auto& [root, outputs] : parked) {
    killed.insert(outputs.killed);
  }
  VerifyReport report = check_runs(out_root.string(), records, read_member, read_actual, killed);
  report_parked_outputs(report, parked);
  for (size_t index = 0; index < report.runs.size(); ++index) {
    RunCheck& check = report.runs[index];
    if (check.state == "unchecked" && records[index].record.value("status", nlohmann::json()) == "running" &&
        !check.root.empty() && slot_in_use(out_root, check.root)) {
      check.message = "the run is still in progress (a runner holds the lock of " + check.root +
                      "); verify again once it has ended";
    }
  }
  return report;
}

} // namespace

VerifyReport verify_outputs(const fs::path& path)
{
  std::error_code error;
  if (fs::is_regular_file(path, error) && archive_format_from_name(path)) {
    return verify_pack(path);
  }
  return verify_directory(path);
}

bool VerifyReport::ok() const
{
  for (const auto& run : runs) {
    if (run.state == "mismatch" || run.state == "bad_record" || (run.state == "unchecked" && !allow_unchecked)) {
      return false;
    }
  }
  return true;
}

json VerifyReport::to_json() const
{
  json result = {{"source", to_valid_utf8(source)}, {"ok", ok()}, {"runs", json::array()}};
  for (const auto& run : runs) {
    json item = {{"run_id", run.run_id}, {"record", to_valid_utf8(run.record)},    {"root", to_valid_utf8(run.root)},
                 {"state", run.state},   {"entries_checked", run.entries_checked}, {"mismatches", json::array()}};
    if (!run.message.empty()) {
      item["message"] = to_valid_utf8(run.message);
    }
    for (const auto& mismatch : run.mismatches) {
      item["mismatches"].push_back(
          {{"kind", mismatch.kind}, {"path", mismatch.path}, {"detail", to_valid_utf8(mismatch.detail)}});
    }
    result["runs"].push_back(std::move(item));
  }
  return result;
}

std::string VerifyReport::to_text() const
{
  std::ostringstream out;
  size_t checked = 0;
  size_t failed = 0;
  size_t unchecked = 0;
  for (const auto& run : runs) {
    std::string label = printable(run.run_id) + (run.root.empty() ? "" : "  " + printable(run.root));
    if (run.state == "ok") {
      ++checked;
      out << "ok          " << label << "  (" << run.entries_checked << " entries)\n";
      if (!run.message.empty()) {
        out << "  " << printable(run.message) << "\n";
      }
    } else if (run.state == "mismatch") {
      ++checked;
      ++failed;
      out << "MISMATCH    " << label << "  (" << run.mismatches.size() << " differences)\n";
      if (!run.message.empty()) {
        out << "  " << printable(run.message) << "\n";
      }
      for (const auto& mismatch : run.mismatches) {
        std::string kind = mismatch.kind;
        kind.resize(std::max<size_t>(kind.size(), 12), ' ');
        out << "  " << kind << printable(mismatch.path)
            << (mismatch.detail.empty() ? "" : ": " + printable(mismatch.detail)) << "\n";
      }
    } else if (run.state == "bad_record") {
      ++failed;
      out << "BAD RECORD  " << printable(run.record) << ": " << printable(run.message) << "\n";
    } else if (run.state == "superseded") {
      out << "superseded  " << label << "  (a run that finished later wrote the same directory)\n";
    } else if (run.state == "unchecked") {
      ++unchecked;
      failed += allow_unchecked ? 0 : 1;
      out << (allow_unchecked ? "unchecked   " : "UNCHECKED   ") << label << "  (no outputs inventory)\n  "
          << printable(run.message) << "\n";
    } else {
      out << "no inventory  " << label << "  (recorded without an outputs inventory)\n";
    }
  }
  if (failed == 0) {
    out << "verified " << checked << (checked == 1 ? " run" : " runs") << " in " << printable(source)
        << ": all outputs match their records";
    out << (unchecked == 0 ? std::string()
                           : "; " + std::to_string(unchecked) + " latest " + (unchecked == 1 ? "run" : "runs") +
                                 " could not be checked (allowed by --allow-unchecked)")
        << "\n";
  } else {
    out << "verification failed: " << failed << " of " << runs.size() << " records do not match (" << printable(source)
        << ")\n";
    if (unchecked != 0 && !allow_unchecked) {
      out << "a latest run without an outputs inventory cannot be checked: run its plugin again, or pass "
             "--allow-unchecked to accept it\n";
    }
  }
  return out.str();
}

} // namespace mdivicom
