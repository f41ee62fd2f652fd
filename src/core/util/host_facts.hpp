#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace mdivicom {

// {hostname, os, kernel, machine, cpus, user}: where a run happened, for the run record.
nlohmann::json host_facts();

// UTC time as RFC 3339 with microseconds, e.g. "2026-11-25T09:41:07.123456Z".
std::string utc_timestamp_now();

// The reference's run id: UTC "YYYYmmddTHHMMSSZ_" followed by 8 random hex digits.
std::string new_run_id();

} // namespace mdivicom
