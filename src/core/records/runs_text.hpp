#pragma once

// `mdivicom runs` as text for a terminal. Every name and message taken from a record goes
// through printable(): a record is hostile input, and must not forge lines or escape sequences.

#include <string>

#include "core/records/runs.hpp"

namespace mdivicom {

// The table, one line per run, and a line saying what the filter left out.
std::string runs_table_text(const RunList& runs);

// One run readably: plugin, status and error, times and resources, key, config hash and config
// (as recorded: secrets redacted), dataset fingerprint, code or image, outputs with hashes.
std::string run_show_text(const RunList& runs, const RunRow& row);

} // namespace mdivicom
