#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mdivicom::inproc {

inline constexpr std::string_view k_entry_point_group = "mdivicomtools.plugins";

// One "name = value" line of an entry point group; value is "module:attr [extras]".
struct EntryPointDecl
{
  std::string name;
  std::string value;
};

// The entry points of `group` in an entry_points.txt, parsed as importlib.metadata does.
std::vector<EntryPointDecl> parse_entry_points(std::string_view text, std::string_view group);

// "module:attr" from an entry point value: extras and spaces dropped.
std::string entry_point_ref(const std::string& value);

// An installed distribution that registers entry points of the group.
struct Distribution
{
  std::string name;                   // as spelled in the metadata dir name
  std::string version;                // from the metadata dir name; "" when absent
  std::filesystem::path metadata_dir; // the *.dist-info or *.egg-info dir
  std::vector<EntryPointDecl> entry_points;
};

// Distributions in sys.path order. As in importlib.metadata, the first distribution of a
// (normalized) name wins and shadows later ones. Needs no interpreter.
std::vector<Distribution> find_distributions(const std::vector<std::filesystem::path>& search_path,
                                             std::string_view group = k_entry_point_group);

// PEP 503 normalization with '_': "Foo.Bar-baz" -> "foo_bar_baz".
std::string normalize_distribution_name(std::string_view name);

} // namespace mdivicom::inproc
