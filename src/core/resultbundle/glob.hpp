#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mdivicom::resultbundle {

// Why `glob` cannot be a bundle rule (empty, absolute, a "." or ".." segment, an empty
// segment), or nullopt when it can. Rules only ever name files below the output dir.
std::optional<std::string> glob_problem(std::string_view glob);

// Matches a '/'-separated relative path against a rule glob: "**" as a whole segment matches
// any number of directories (zero included); within a segment "*", "?" and "[...]" work as
// in fnmatch(3) and never cross '/'. A leading dot must be matched explicitly, as in a shell
// ("**" does not enter hidden directories either).
bool glob_matches(std::string_view glob, std::string_view path);

} // namespace mdivicom::resultbundle
