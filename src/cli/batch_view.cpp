#include "cli/batch_view.hpp"

#include "cli/commands.hpp"
#include "core/batch/status.hpp"
#include "core/util/error.hpp"
#include "core/util/text_bytes.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

#include <spdlog/spdlog.h>

namespace mdivicom::cli {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

std::string minutes_seconds(double seconds)
{
  const long total = std::lround(seconds);
  char text[32];
  std::snprintf(text, sizeof text, "%ld:%02ld", total / 60, total % 60);
  return text;
}

std::string item_line(const json& item)
{
  std::string line = printable(item.value("item", "")) + "  " + printable(item.value("plugin", "")) + "  ";
  const std::string decision = item.value("decision", "");
  const json slurm = item.value("slurm", json::object());
  if (decision == "queued" && slurm.is_object() && slurm.contains("state")) {
    // A detached batch's task, live: "running", "pending (JobArrayTaskLimit)".
    std::string state = slurm.value("state", "");
    std::transform(state.begin(), state.end(), state.begin(), [](unsigned char c) { return std::tolower(c); });
    const std::string reason = slurm.value("reason", "");
    line += printable(state) + (reason.empty() || reason == "None" ? "" : " (" + printable(reason) + ")");
  } else {
    const std::string status = decision == "ran" ? item.value("status", "ran") : decision;
    line += status;
    // A run that Slurm's SIGTERM stopped records "cancelled"; Slurm says why (TIMEOUT, ...).
    std::string state = slurm.is_object() ? slurm.value("state", "") : "";
    std::transform(state.begin(), state.end(), state.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!state.empty() && state != "completed" && state != status) {
      line += " (Slurm: " + printable(slurm.value("state", "")) + ")";
    }
  }
  if (item.contains("duration_s") && item["duration_s"].is_number()) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, " (%.1f s)", item["duration_s"].get<double>());
    line += seconds;
  }
  if (item.contains("run_id")) {
    line += "  run " + item.value("run_id", "");
  }
  if (item.contains("reason") && !item.value("reason", "").empty()) {
    line += ": " + item.value("reason", "");
  }
  return line;
}

std::string summary_line(const json& summary)
{
  std::string line = std::to_string(summary.value("items", 0)) + " items:";
  for (const auto& [key, count] : summary.items()) {
    if (key != "items") {
      line += " " + std::to_string(count.get<int>()) + " " + key + ",";
    }
  }
  line.pop_back();
  return line;
}

class BatchView : public BatchObserver
{
public:
  BatchView(BatchViewKind kind, bool explain) : m_kind(kind), m_explain(explain) {}

  void started(const BatchRecord& record) override
  {
    m_start = Clock::now();
    size_t to_run = 0;
    for (const BatchItemState& item : record.items()) {
      to_run += item.decision == ItemDecision::queued;
      if (m_explain) {
        const char* verdict = item.decision == ItemDecision::queued ? "runs: " : "";
        std::cerr << printable(item.item) << " " << printable(item.plugin) << ": " << verdict << printable(item.reason)
                  << "\n";
      }
    }
    if (m_kind != BatchViewKind::quiet) {
      std::cerr << "mdivicom: batch " << record.id() << ": " << record.items().size() << " items, " << to_run
                << " to run\n";
    }
  }
  void item_started(const BatchRecord& record, size_t) override { draw(record); }
  void item_finished(const BatchRecord& record, size_t item) override
  {
    ++m_finished;
    if (m_kind == BatchViewKind::quiet) {
      return;
    }
    clear();
    std::cerr << item_line(record.to_json()["items"][item]) << "\n";
    draw(record);
  }
  void tick(const BatchRecord& record) override { draw(record); }
  ~BatchView() override { clear(); }

private:
  void clear()
  {
    if (m_drawn) {
      std::cerr << "\r\033[K" << std::flush;
      m_drawn = false;
    }
  }

  // "12/40 done · 2 running · 1 failed · 25 queued · 0:35 elapsed · ETA 1:10"
  void draw(const BatchRecord& record)
  {
    if (m_kind != BatchViewKind::terminal) {
      return;
    }
    size_t running = 0;
    size_t failed = 0;
    size_t queued = 0;
    for (const BatchItemState& item : record.items()) {
      running += item.decision == ItemDecision::queued && !item.log.empty();
      queued += item.decision == ItemDecision::queued && item.log.empty();
      failed += item.exit_code.value_or(0) != 0;
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - m_start).count();
    std::string line = std::to_string(m_finished) + "/" + std::to_string(record.items().size()) + " done, " +
                       std::to_string(running) + " running, " + std::to_string(failed) + " failed, " +
                       std::to_string(queued) + " queued, " + minutes_seconds(elapsed) + " elapsed";
    if (m_finished > 0 && queued + running > 0) {
      line +=
          ", ETA " + minutes_seconds(elapsed / static_cast<double>(m_finished) * static_cast<double>(queued + running));
    }
    std::cerr << "\r\033[K" << line << std::flush;
    m_drawn = true;
  }

  BatchViewKind m_kind;
  bool m_explain;
  Clock::time_point m_start = Clock::now();
  size_t m_finished = 0;
  bool m_drawn = false;
};

} // namespace

std::unique_ptr<BatchObserver> make_batch_view(BatchViewKind kind, bool explain)
{
  return std::make_unique<BatchView>(kind, explain);
}

std::string batch_table(const json& record)
{
  std::string text = "batch " + printable(record.value("batch_id", "?")) + ": " + record.value("status", "?") + "\n";
  if (record.contains("items") && record["items"].is_array()) {
    for (const json& item : record["items"]) {
      text += "  " + item_line(item) + "\n";
    }
  }
  if (record.contains("missing_datasets")) {
    for (const json& missing : record["missing_datasets"]) {
      text += "  missing: " + printable(missing.is_string() ? missing.get<std::string>() : missing.dump()) + "\n";
    }
  }
  if (record.contains("summary") && record["summary"].is_object()) {
    text += summary_line(record["summary"]) + "\n";
  }
  return text;
}

void show_batch_status(const BatchStatusArguments& args)
{
  std::vector<json> records = read_batch_records(args.out);
  if (records.empty()) {
    throw usage_error(printable(args.out) + " holds no batch record (_batches/*.json): is it the --out of a batch?");
  }
  const json* chosen = &records.back();
  if (!args.batch_id.empty()) {
    chosen = nullptr;
    for (const json& record : records) {
      if (record.value("batch_id", "") == args.batch_id) {
        chosen = &record;
      }
    }
    if (chosen == nullptr) {
      throw usage_error("no batch " + printable(args.batch_id) + " in " + printable(args.out) + "/_batches");
    }
  }
  if (chosen->contains("error")) {
    throw Error(printable(chosen->value("_path", "")) + ": unreadable batch record: " + chosen->value("error", ""));
  }
  json record = *chosen;
  if (is_detached_and_running(record)) {
    try {
      record = follow_detached_batch(args.out, record.value("_path", ""));
    } catch (const Error& e) {
      spdlog::warn("cannot follow the batch's Slurm job ({}); showing its record as last written", e.what());
    }
  }
  record.erase("_path");
  if (args.as_json) {
    std::cout << json_text(record) << "\n";
  } else {
    std::cout << batch_table(record);
  }
  if (record.value("status", "") != "succeeded") {
    set_exit_code(static_cast<int>(ExitCode::failed));
  }
}

} // namespace mdivicom::cli
