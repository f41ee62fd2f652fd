#pragma once

#include "core/fs_util.hpp"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/lane.hpp"
#include "core/run_plan.hpp"

namespace mdivicom {

// The record written to O/_runs/<run_id>.json before the plugin starts (status "running").
nlohmann::json initial_record(const RunPlan& plan);

// Adds the outcome (status, times, exit code, signal, error, lane facts) to the record.
void add_outcome(nlohmann::json& record, const RunOutcome& outcome, const std::string& started_at,
                 const std::string& finished_at, double duration_s);

// Validates against schemas/run-record.schema.json and writes atomically. A record that fails
// its own schema is a bug in mdivicom: it is still written (losing it would be worse) and
// the violations are logged.
void write_record(const std::filesystem::path& path, const nlohmann::json& record,
                  Durability durability = Durability::synced);

} // namespace mdivicom
