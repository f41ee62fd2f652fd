#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mdivicom {

// The Levenshtein distance: single-character insertions, deletions and substitutions.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate a typo of `word` most likely meant, for a "did you mean" (ninja's rule of
// thumb): the nearest one at most 2 edits away, and not more edits than half of `word`, so that
// "ls" suggests nothing rather than "gc". Ties go to the first candidate; "" when none is near.
std::string nearest_name(std::string_view word, const std::vector<std::string>& candidates);

} // namespace mdivicom
