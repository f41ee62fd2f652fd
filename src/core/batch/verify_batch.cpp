#include "core/batch/verify_batch.hpp"

#include "core/batch/record.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/text_bytes.hpp"
#include "core/util/utf8.hpp"

#include <map>
#include <sstream>

namespace mdivicom {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* k_item_states[] = {"ok", "mismatch", "bad_record", "unchecked"};

// The worst state of the item's runs: a damaged record, then differing outputs, then a latest
// run that cannot be checked.
std::string item_state(const VerifyReport& report)
{
  bool ok = false;
  bool mismatch = false;
  bool unchecked = false;
  for (const RunCheck& run : report.runs) {
    if (run.state == "bad_record") {
      return "bad_record";
    }
    mismatch = mismatch || run.state == "mismatch";
    unchecked = unchecked || run.state == "unchecked";
    ok = ok || run.state == "ok";
  }
  return mismatch ? "mismatch" : (unchecked || !ok ? "unchecked" : "ok");
}

// An item name from a record must stay a directory of O: records can be edited.
bool is_item_name(const std::string& item)
{
  return is_clean_relative_path(item) && !item.starts_with("_") && !item.starts_with(".");
}

// What the batch records last said of each item (decision, reason), in order of first appearance.
std::vector<std::pair<std::string, json>> batch_items(const fs::path& out)
{
  std::vector<std::pair<std::string, json>> items;
  std::map<std::string, size_t> seen;
  for (const json& record : read_batch_records(out)) {
    if (record.contains("error")) {
      throw Error(printable(record.value("_path", "")) + ": unreadable batch record (" +
                  printable(record.value("error", "")) + "); move it out of _batches/ to verify the other items");
    }
    if (!record.contains("items") || !record["items"].is_array()) {
      continue;
    }
    for (const json& item : record["items"]) {
      const std::string name = item.is_object() && item.value("item", json()).is_string() ? item["item"] : "";
      if (auto found = seen.find(name); found != seen.end()) {
        items[found->second].second = item;
      } else {
        seen[name] = items.size();
        items.emplace_back(name, item);
      }
    }
  }
  return items;
}

ItemCheck check_item(const fs::path& out, const std::string& name, const json& last)
{
  ItemCheck check{name, "unchecked", {}, {}};
  if (!is_item_name(name)) {
    check.state = "bad_record";
    check.message = "a batch record names the item " + name + ", which is not a directory name below the --out";
    return check;
  }
  try {
    check.report = verify_outputs(out / name);
  } catch (const Error& e) {
    if (e.code() != ExitCode::usage) {
      throw;
    }
    // Nothing to verify: the item has no run with an inventory. Say what the batch made of it.
    std::string decision = last.value("decision", "");
    if (decision == "ran") {
      decision = last.value("status", "ran");
    }
    const std::string reason = last.value("reason", "");
    std::error_code ignored;
    check.message = "no run to check: the batch recorded it " + decision + (reason.empty() ? "" : " (" + reason + ")") +
                    (fs::exists(out / name, ignored) ? "; " + std::string(e.what()) : "; it has no directory");
    return check;
  }
  check.state = item_state(check.report);
  return check;
}

void write_run_details(std::ostream& out, const ItemCheck& item)
{
  for (const RunCheck& run : item.report.runs) {
    const std::string where = item.item + (run.root.empty() ? "" : "/" + run.root);
    if (run.state == "mismatch") {
      out << "  run " << printable(run.run_id) << ": " << run.mismatches.size()
          << (run.mismatches.size() == 1 ? " difference in " : " differences in ") << printable(where) << "\n";
      for (const Mismatch& mismatch : run.mismatches) {
        std::string kind = mismatch.kind;
        kind.resize(std::max<size_t>(kind.size(), 12), ' ');
        out << "    " << kind << printable(where + "/" + mismatch.path)
            << (mismatch.detail.empty() ? "" : ": " + printable(mismatch.detail)) << "\n";
      }
    } else if (run.state == "bad_record") {
      out << "  bad record " << printable(item.item + "/" + run.record) << ": " << printable(run.message) << "\n";
    } else if (run.state == "unchecked") {
      out << "  run " << printable(run.run_id) << " of " << printable(where)
          << " cannot be checked: " << printable(run.message) << "\n";
    }
  }
}

} // namespace

bool is_batch_directory(const fs::path& path)
{
  std::error_code error;
  return fs::is_directory(path / "_batches", error) && !fs::is_symlink(path / "_batches", error);
}

BatchVerifyReport verify_batch(const fs::path& out)
{
  BatchVerifyReport report;
  report.source = out.string();
  for (const auto& [name, last] : batch_items(out)) {
    report.items.push_back(check_item(out, name, last));
  }
  if (report.items.empty()) {
    throw usage_error("nothing to verify: no batch record in " + printable((out / "_batches").string()) +
                      " names an item; give the --out of a batch that ran, or of a single run");
  }
  return report;
}

bool BatchVerifyReport::ok() const
{
  for (const ItemCheck& item : items) {
    if (item.state == "mismatch" || item.state == "bad_record" || (item.state == "unchecked" && !allow_unchecked)) {
      return false;
    }
  }
  return true;
}

json BatchVerifyReport::to_json() const
{
  json summary = {{"items", items.size()}};
  for (const char* state : k_item_states) {
    summary[state] = 0;
  }
  json list = json::array();
  for (const ItemCheck& item : items) {
    summary[item.state] = summary[item.state].get<int>() + 1;
    json entry = {{"item", to_valid_utf8(item.item)}, {"state", item.state}, {"runs", json::array()}};
    if (!item.message.empty()) {
      entry["message"] = to_valid_utf8(item.message);
    }
    if (!item.report.runs.empty()) {
      VerifyReport runs = item.report;
      runs.allow_unchecked = allow_unchecked;
      entry["runs"] = runs.to_json()["runs"];
    }
    list.push_back(std::move(entry));
  }
  return {{"source", to_valid_utf8(source)},    {"kind", "batch"},    {"ok", ok()},
          {"allow_unchecked", allow_unchecked}, {"summary", summary}, {"items", list}};
}

std::string BatchVerifyReport::to_text() const
{
  std::ostringstream out;
  std::map<std::string, size_t> counts;
  for (const ItemCheck& item : items) {
    ++counts[item.state];
    size_t checked = 0;
    size_t entries = 0;
    for (const RunCheck& run : item.report.runs) {
      checked += run.state == "ok" ? 1 : 0;
      entries += run.state == "ok" ? run.entries_checked : 0;
    }
    if (item.state == "ok") {
      out << "ok          " << printable(item.item) << "  (" << checked << (checked == 1 ? " run, " : " runs, ")
          << entries << " entries)\n";
    } else {
      std::string label = item.state == "bad_record" ? "BAD RECORD" : item.state;
      if (item.state != "unchecked" || !allow_unchecked) {
        for (char& c : label) {
          c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
      }
      label.resize(std::max<size_t>(label.size() + 1, 12), ' ');
      out << label << printable(item.item) << (item.message.empty() ? "" : ": " + printable(item.message)) << "\n";
      write_run_details(out, item);
    }
  }
  std::string summary = std::to_string(items.size()) + (items.size() == 1 ? " item" : " items") + ":";
  for (const char* state : k_item_states) {
    if (counts[state] > 0) {
      summary += " " + std::to_string(counts[state]) + " " + state + ",";
    }
  }
  summary.pop_back();
  if (ok()) {
    out << "verified the batch in " << printable(source) << ": " << summary
        << (counts["unchecked"] > 0 ? " (unchecked allowed by --allow-unchecked)" : "") << "\n";
  } else {
    out << "verification failed for the batch in " << printable(source) << ": " << summary << "\n";
    if (counts["unchecked"] > 0 && !allow_unchecked) {
      out << "an item whose latest run cannot be checked fails verify: run it again (mdivicom batch ... --overwrite), "
             "or pass --allow-unchecked to accept it\n";
    }
  }
  return out.str();
}

} // namespace mdivicom
