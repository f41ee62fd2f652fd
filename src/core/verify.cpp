#include "core/verify.hpp"

#include "core/verify_runs.hpp"

#include "core/archive.hpp"
#include "core/error.hpp"
#include "core/inventory.hpp"
#include "core/record_scan.hpp"
#include "core/text_bytes.hpp"
#include "core/tree_walk.hpp"

#include <cerrno>
#include <cstring>
#include <sstream>

#include <fcntl.h>
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
  auto read_actual = [&](const std::string& root) -> std::optional<std::vector<InventoryEntry>> {
    struct stat info = {};
    if (::lstat((out_root / root).c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
      return std::nullopt;
    }
    return take_inventory(out_root / root, {"outputs in " + (out_root / root).string(), 0, true}).entries;
  };
  return check_runs(out_root.string(), scan_run_records(out_root), read_member, read_actual);
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
    if (run.state == "mismatch" || run.state == "bad_record") {
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
  for (const auto& run : runs) {
    std::string label = run.run_id + (run.root.empty() ? "" : "  " + to_valid_utf8(run.root));
    if (run.state == "ok") {
      ++checked;
      out << "ok          " << label << "  (" << run.entries_checked << " entries)\n";
    } else if (run.state == "mismatch") {
      ++checked;
      ++failed;
      out << "MISMATCH    " << label << "  (" << run.mismatches.size() << " differences)\n";
      if (!run.message.empty()) {
        out << "  " << to_valid_utf8(run.message) << "\n";
      }
      for (const auto& mismatch : run.mismatches) {
        std::string kind = mismatch.kind;
        kind.resize(std::max<size_t>(kind.size(), 12), ' ');
        out << "  " << kind << mismatch.path << (mismatch.detail.empty() ? "" : ": " + mismatch.detail) << "\n";
      }
    } else if (run.state == "bad_record") {
      ++failed;
      out << "BAD RECORD  " << run.record << ": " << to_valid_utf8(run.message) << "\n";
    } else if (run.state == "superseded") {
      out << "superseded  " << label << "  (a run that finished later wrote the same directory)\n";
    } else {
      out << "unchecked   " << label << "  (recorded without an outputs inventory)\n";
    }
  }
  if (failed == 0) {
    out << "verified " << checked << (checked == 1 ? " run" : " runs") << " in " << to_valid_utf8(source)
        << ": all outputs match their records\n";
  } else {
    out << "verification failed: " << failed << " of " << runs.size() << " records do not match ("
        << to_valid_utf8(source) << ")\n";
  }
  return out.str();
}

} // namespace mdivicom
