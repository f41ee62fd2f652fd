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
  // "did you mean" when a near name exists) or "ambiguous" naming every candidate.
  Plugin resolve(std::string_view ref);

private:
  std::vector<std::unique_ptr<PluginSource>> m_sources;
};

} // namespace mdivicom
