#include "lanes/container/exposure/dataset_links.hpp"

#include "lanes/container/exposure/special_files.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>

namespace mdivicom::container {

namespace fs = std::filesystem;

namespace {

using Parts = std::vector<std::string>;

Parts split(const std::string& path)
{
  Parts parts;
  for (const auto& part : fs::path(path)) {
    std::string text = part.string();
    if (!text.empty() && text != "/") {
      parts.push_back(text);
    }
  }
  return parts;
}

std::string join(const Parts& parts, size_t begin, size_t end)
{
  std::string result;
  for (size_t i = begin; i < end; ++i) {
    result += "/" + parts[i];
  }
  return result.empty() ? "/" : result;
}

// `prefix` (an absolute path) with `below` appended.
std::string joined(const std::string& prefix, const Parts& below)
{
  if (below.empty()) {
    return prefix;
  }
  return (prefix == "/" ? "" : prefix) + join(below, 0, below.size());
}

bool under_or_equal(const std::string& path, const std::string& base)
{
  if (base == "/") {
    return true;
  }
  return path == base ||
         (path.size() > base.size() && path.compare(0, base.size(), base) == 0 && path[base.size()] == '/');
}

// A link that resolves outside the dataset mount: where the container looks, what the host has.
struct Need
{
  Parts host;       // fully resolved target on the host
  Parts container;  // lexical target inside the container
  std::string link; // for messages
};

// The needs sharing one host-to-container mapping, below which they are bound.
struct Group
{
  std::string host_prefix;
  std::string container_prefix;
  std::vector<Parts> suffixes;
  std::string link;
};

// A tree whose links must resolve in the container: the dataset, and each directory outside it
// that a link points to (bound whole, links inside it included).
struct WalkRoot
{
  fs::path host;
  std::string container;
  std::string via; // the link that made it a tree; "" for the dataset
};

struct Collected
{
  std::vector<Need> needs;
  std::vector<WalkRoot> trees; // still to walk, after the one being walked
  std::set<fs::path> walked;   // trees taken, by host path: a cycle of links ends
};

// Whose bind shows `tree`, for messages.
std::string shown_as(const WalkRoot& tree)
{
  return tree.via.empty() ? "the dataset" : "the directory bound for dataset link " + tree.via;
}

std::optional<std::string> collect_tree(const WalkRoot& tree, const std::string& dataset_container, Collected& out)
{
  std::error_code ec;
  fs::path last = tree.host;
  int git_depth = -1; // inside git's own store below this depth: links there are not data
  fs::recursive_directory_iterator it(tree.host, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const auto& entry = *it;
    const auto type = listed_type(entry, ec);
    if (ec) {
      return "cannot read " + entry.path().string() + ": " + ec.message();
    }
    if (auto kind = special_kind(type); !kind.empty()) {
      return special_file_refusal({entry.path(), kind}, shown_as(tree));
    }
    if (git_depth >= 0 && it.depth() <= git_depth) {
      git_depth = -1;
    }
    if (type == fs::file_type::directory) {
      last = entry.path();
      if (git_depth < 0 && entry.path().filename() == ".git") {
        git_depth = it.depth(); // still walked: it is bound with the dataset
      }
      continue;
    }
    if (type != fs::file_type::symlink || git_depth >= 0) {
      continue;
    }
    const fs::path& link = entry.path();
    fs::path text = fs::read_symlink(link, ec);
    std::error_code resolve_error;
    fs::path target = fs::canonical(link, resolve_error);
    if (ec || resolve_error) {
      return "dataset link " + link.string() + " -> " + text.string() +
             " points to nothing (for git-annex/DataLad data, fetch the content with 'datalad get' or "
             "'git annex get'); refusing to hand the container a dangling link";
    }
    // A socket, device or FIFO stays usable through a read-only bind (connect() on an ssh-agent
    // or a Docker socket); host runtime and kernel trees are no data either.
    auto target_type = fs::status(target, resolve_error).type();
    if (target_type != fs::file_type::regular && target_type != fs::file_type::directory) {
      return "dataset link " + link.string() + " -> " + text.string() + " resolves to " + target.string() +
             ", which is not a file or a directory (a socket, device or FIFO); mdivicom does not hand it "
             "to a container: remove the link from the dataset";
    }
    for (const char* system : {"/proc", "/sys", "/dev", "/run"}) {
      if (under_or_equal(target.string(), system)) {
        return "dataset link " + link.string() + " -> " + text.string() + " resolves to " + target.string() +
               ", in the host's " + system +
               " (runtime state, not data); mdivicom does not mount it into a container: remove the link "
               "from the dataset";
      }
    }
    std::string link_dir = tree.container + "/" + link.parent_path().lexically_relative(tree.host).generic_string();
    std::string seen = container_normal(text.is_absolute() ? text.string() : link_dir + "/" + text.string());
    if (under_or_equal(seen, tree.container) || under_or_equal(seen, dataset_container)) {
      continue;
    }
    if (target_type == fs::file_type::directory && out.walked.insert(target).second) {
      out.trees.push_back({target, seen, link.string() + " -> " + text.string()});
    }
    out.needs.push_back({split(target.string()), split(seen), link.string() + " -> " + text.string()});
  }
  if (ec) {
    return unlisted_problem(tree.host, last, ec);
  }
  return std::nullopt;
}

Result<std::vector<Need>> collect(const fs::path& root, const std::string& container_root)
{
  Collected out;
  out.trees.push_back({root, container_root, ""});
  out.walked.insert(root);
  for (size_t i = 0; i < out.trees.size(); ++i) {
    WalkRoot tree = out.trees[i]; // a copy: walking it adds to out.trees
    if (auto problem = collect_tree(tree, container_root, out)) {
      return Failure{*problem};
    }
  }
  return std::move(out.needs);
}

std::vector<Group> group(const std::vector<Need>& needs)
{
  std::map<std::pair<std::string, std::string>, Group> groups;
  for (const auto& need : needs) {
    // Common trailing components, keeping at least one leading component on each side.
    size_t common = 0;
    size_t max_common = std::min(need.host.size(), need.container.size());
    max_common = max_common > 0 ? max_common - 1 : 0;
    while (common < max_common &&
           need.host[need.host.size() - 1 - common] == need.container[need.container.size() - 1 - common]) {
      ++common;
    }
    std::string host_prefix = join(need.host, 0, need.host.size() - common);
    std::string container_prefix = join(need.container, 0, need.container.size() - common);
    auto& entry = groups[{host_prefix, container_prefix}];
    entry.host_prefix = host_prefix;
    entry.container_prefix = container_prefix;
    entry.suffixes.emplace_back(need.host.end() - static_cast<long>(common), need.host.end());
    entry.link = need.link;
  }
  std::vector<Group> result;
  result.reserve(groups.size());
  for (auto& [key, value] : groups) {
    result.push_back(std::move(value));
  }
  return result;
}

// The targets below a group's prefix, as a tree: a needed node stands for its whole subtree.
struct TargetTree
{
  bool needed = false;
  std::map<std::string, TargetTree> children;

  void add(const Parts& path)
  {
    TargetTree* node = this;
    for (const auto& part : path) {
      if (node->needed) {
        return; // inside a target already needed whole (a link to a directory)
      }
      node = &node->children[part];
    }
    node->needed = true;
    node->children.clear();
  }
};

// How many entries `directory` has, counting no further than `limit`; SIZE_MAX when it cannot
// be listed.
size_t entry_count(const fs::path& directory, size_t limit)
{
  std::error_code ec;
  size_t count = 0;
  for (fs::directory_iterator it(directory, ec); !ec && it != fs::directory_iterator() && count < limit;
       it.increment(ec)) {
    ++count;
  }
  return ec ? SIZE_MAX : count;
}

// Whether everything in `host` (the node's place) is needed. When not, the parts that are
// needed whole are added to `cover`, as paths below the group's prefix. Stops looking once
// `cover` holds more binds than are worth making (the group is then widened anyway).
bool covered_whole(const TargetTree& node, const fs::path& host, Parts& path, std::vector<Parts>& cover)
{
  if (node.needed) {
    return true;
  }
  std::vector<std::string> whole;
  for (const auto& [name, child] : node.children) {
    if (cover.size() > k_max_exact_link_binds) {
      return false;
    }
    path.push_back(name);
    if (covered_whole(child, host / name, path, cover)) {
      whole.push_back(name);
    }
    path.pop_back();
  }
  // Children come from resolved targets, so each is an entry of `host`.
  const size_t children = node.children.size();
  if (whole.size() == children && entry_count(host, children + 1) == children) {
    return true;
  }
  for (const auto& name : whole) {
    cover.push_back(path);
    cover.back().push_back(name);
  }
  return false;
}

// The binds, as paths below the group's prefix, that show exactly its targets: below the
// directory holding all of them, the parts all of whose entries are targets. That directory
// itself when more binds than k_max_exact_link_binds would be needed.
std::vector<Parts> cover_of(const Group& group, bool& widened)
{
  Parts common = group.suffixes.front();
  for (const auto& suffix : group.suffixes) {
    auto [end, ignored] = std::mismatch(common.begin(), common.end(), suffix.begin(), suffix.end());
    common.erase(end, common.end());
  }
  TargetTree tree;
  for (const auto& suffix : group.suffixes) {
    tree.add(Parts(suffix.begin() + static_cast<long>(common.size()), suffix.end()));
  }
  std::vector<Parts> cover;
  Parts path = common;
  const fs::path host = joined(group.host_prefix, common);
  widened = false;
  if (covered_whole(tree, host, path, cover)) {
    return {common};
  }
  widened = cover.size() > k_max_exact_link_binds;
  return widened ? std::vector<Parts>{common} : cover;
}

} // namespace

std::string container_normal(const std::string& path)
{
  Parts parts;
  for (const auto& part : split(path)) {
    if (part == ".") {
      continue;
    }
    if (part == "..") {
      if (!parts.empty()) {
        parts.pop_back();
      }
      continue;
    }
    parts.push_back(part);
  }
  return join(parts, 0, parts.size());
}

bool is_reserved_container_path(const std::string& path, const std::vector<std::string>& taken, bool allow_mdivicom)
{
  // (/tmp is a tmpfs, but binds below it are mounted over it: annexes under /tmp resolve.)
  static const char* k_system[] = {"/proc", "/sys",   "/dev",   "/etc", "/bin", "/sbin",
                                   "/lib",  "/lib32", "/lib64", "/usr", "/run", "/mdivicom"};
  if (path == "/") {
    return true;
  }
  for (const char* system : k_system) {
    if (under_or_equal(path, system) && !(allow_mdivicom && std::string_view(system) == "/mdivicom")) {
      return true;
    }
  }
  for (const auto& used : taken) {
    if (under_or_equal(path, used) || under_or_equal(used, path)) {
      return true;
    }
  }
  return false;
}

Result<std::vector<LinkBind>> dataset_link_binds(const fs::path& dataset_dir, const std::string& container_dataset_dir,
                                                 const std::vector<std::string>& taken)
{
  std::error_code ec;
  fs::path root = fs::canonical(dataset_dir, ec);
  if (ec) {
    return Failure{"cannot read dataset " + dataset_dir.string() + ": " + ec.message()};
  }
  auto needs = collect(root, container_normal(container_dataset_dir));
  if (!needs) {
    return Failure{needs.error()};
  }
  std::vector<std::string> in_use = taken;
  in_use.push_back(container_normal(container_dataset_dir));
  std::vector<LinkBind> binds;
  for (const auto& entry : group(*needs)) {
    bool widened = false;
    for (const auto& below : cover_of(entry, widened)) {
      std::string host = joined(entry.host_prefix, below);
      std::string target = joined(entry.container_prefix, below);
      if (is_reserved_container_path(target, in_use)) {
        return Failure{"dataset link " + entry.link + " resolves to " + target +
                       " in the container, where mdivicom cannot mount it (a system or mdivicom path); make the "
                       "link relative inside the dataset or point it elsewhere"};
      }
      binds.push_back({host, target, widened});
    }
  }
  std::sort(binds.begin(), binds.end(), [](const auto& a, const auto& b) { return a.container < b.container; });
  std::vector<LinkBind> unique;
  for (auto& bind : binds) {
    if (!unique.empty() && unique.back().container == bind.container) {
      unique.back().widened = unique.back().widened || bind.widened;
      if (unique.back().host != bind.host) {
        return Failure{"dataset links need both " + unique.back().host.string() + " and " + bind.host.string() +
                       " at " + bind.container + " in the container; make the links relative inside the dataset"};
      }
      continue;
    }
    unique.push_back(std::move(bind));
  }
  // A widened bind shows files no link points to, which the walk did not see.
  for (const auto& bind : unique) {
    if (bind.widened) {
      auto special = find_special_file(bind.host);
      if (!special || *special) {
        return Failure{!special ? special.error()
                                : special_file_refusal(**special, "the store " + bind.host.string() +
                                                                      " bound whole for the dataset's links")};
      }
    }
  }
  return unique;
}

} // namespace mdivicom::container
