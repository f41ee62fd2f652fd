#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace mdivicom {

// {hostname, os, kernel, machine, cpus, user}: where a run happened, for the run record.
nlohmann::json host_facts();

// The reference's run id: UTC "YYYYmmddTHHMMSSZ_" followed by 8 random hex digits.
std::string new_run_id();

} // namespace mdivicom
