#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/plugins/plugin.hpp"

namespace mdivicom {

using PluginVisitor = std::function<void(Plugin&&)>;
using SummaryVisitor = std::function<void(PluginSummary&&)>;

// Where a catalog looked for plugins and what the user can try, for the messages of a plugin
// not found and of an empty listing: a user who cannot see where mdivicom looked cannot tell a
// typo from a plugin installed in another environment.
struct PluginSearch
{
  std::vector<std::string> places; // "manifest directory /x: 3 manifest files", one a place, in search order
  std::vector<std::string> tries;  // "--python-env VENV for ...", no duplicates
};

// The search as indented lines under "looked in:" and "try:", for an error message or a log.
std::string describe_search(const PluginSearch& search);

// One place plugins come from (entry manifests, Python entry points, ...).
class PluginSource
{
public:
  virtual ~PluginSource() = default;
  // Hands over each plugin found, in order, as soon as it is read, so that a listing of
  // thousands never holds them all. Never throws for a bad registration: that becomes an
  // error plugin.
  virtual void visit(const PluginVisitor& found) = 0;

  // The same plugins, summarized: what a plain listing needs. A source may answer from a
  // cache without loading the plugins.
  virtual void visit_summaries(const SummaryVisitor& found);

  // All of them at once.
  std::vector<Plugin> discover();

  // Where the last visit looked (each place with what it held there) and what to try when a
  // plugin is missing; adds to `search`. Nothing, for a source that was not visited yet.
  virtual void describe_search(PluginSearch& search) const;
};

// All plugins of all sources, in source order; the first of two with the same
// publisher/id wins, as in a PATH search.
class PluginCatalog
{
public:
  void add_source(std::unique_ptr<PluginSource> source);

  // Every plugin in catalog order (shadowed duplicates skipped), one at a time; none is kept.
  void for_each(const std::function<void(const Plugin&)>& found);
  // The same, summarized: `plugins list` without --json.
  void for_each_summary(const std::function<void(const PluginSummary&)>& found);
  std::vector<Plugin> plugins();

  // "<id>" or "<publisher>/<id>". Throws a usage Error: "Plugin not found: <ref>" (with a
  // "did you mean" when a near name exists, where each source looked and what to try) or
  // "ambiguous" naming every candidate.
  Plugin resolve(std::string_view ref);

  // Where the last for_each, for_each_summary or resolve looked, in source order.
  PluginSearch searched() const;

private:
  std::vector<std::unique_ptr<PluginSource>> m_sources;
};

} // namespace mdivicom
