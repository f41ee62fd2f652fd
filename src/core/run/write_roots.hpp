#pragma once

// Where a run writes (O, O/_runs, O/<id>, the work dir, the scratch dir) checked against the
// dataset and each other as the paths resolve *now*: once when the run is planned, and again
// after the directories exist, because a link that dangled at planning may resolve by then.

#include <filesystem>

#include "core/run/lane.hpp"

namespace mdivicom {

// Throws a usage Error naming the path and the fix when a root mdivicom writes is, or is
// reached through, something it must not write: a symbolic link in place of O/_runs or O/<id>,
// a dangling link on the way to O, the work dir or the scratch parent ($TMPDIR), a work dir or
// scratch parent inside the dataset, inside O/_runs or inside O/<id>, or O overlapping the
// dataset. `work_dir_given`: request.work_dir is the user's --work (else it is in the scratch dir).
void check_write_roots(const RunRequest& request, bool work_dir_given, const std::filesystem::path& scratch_parent);

} // namespace mdivicom
