#pragma once

#include <cstddef>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/run/lane.hpp"

namespace mdivicom {

// What a plugin leaves in its writable dirs outlives it on the host, where a sandbox's or an
// engine's mount options no longer apply: a setuid-root program made by a plugin running as root
// (a Python plugin run by root, a container as user "image", or "host" when mdivicom runs as
// root) would be a way to root for every user who can reach the outputs; a device node (where
// an engine allows mknod) reaches the host's device. So once the plugin has ended, before
// anything reads its outputs, each writable dir is swept (both lanes call this): setuid and setgid bits are taken off
// every file that is not a directory (a directory's setgid only makes new entries inherit its group, as lab share
// directories want), sockets, FIFOs and device nodes are removed. Links are never followed. It relies on no process of
// the plugin being left to race it: the engine, or the end of the Python worker's PID
// namespace, has ended them all.

// Entries listed at most per list in the report; the counts are exact.
constexpr std::size_t k_max_swept_listed = 100;

// Sweeps `root` (a writable bind's source). Returns
//   {"stripped": [{"path", "mode_before", "mode_after"}], "removed": [{"path", "type"}],
//    "failed": [{"path", "error"}], "stripped_count", "removed_count", "failed_count",
//    "restricted_to_owner"}
// with octal modes as text; paths are absolute. When anything failed (a directory the
// container made unreadable, a tree deeper than the open-file limit), `root` is made mode 0700
// (restricted_to_owner): what was not checked is then out of other users' reach.
nlohmann::json sweep_writable(const std::filesystem::path& root);

// Sweeps the run's output and work directories once the plugin has ended, warns about what
// was changed, and records both reports as facts["output_sweep"] {"out", "work"}; a sweep that
// failed turns the outcome into a failed run (RunError::unsafe_outputs).
void sweep_writable_binds(const RunRequest& request, RunOutcome& outcome, nlohmann::json& facts);

} // namespace mdivicom
