#include "core/plugins/discovery.hpp"

#include "core/util/error.hpp"
#include "core/util/join.hpp"
#include "core/util/near_name.hpp"

#include <algorithm>
#include <set>

namespace mdivicom {

namespace {

// The catalog's rule for duplicates: the first of a publisher/id wins. Error entries are always
// listed: hiding one would hide the reason a plugin is missing.
template <typename Item>
bool is_listed(std::set<std::string>& seen, const Item& item)
{
  return item.is_error() || seen.insert(item.ref()).second;
}

} // namespace

std::vector<Plugin> PluginSource::discover()
{
  std::vector<Plugin> plugins;
  visit([&](Plugin&& plugin) { plugins.push_back(std::move(plugin)); });
  return plugins;
}

void PluginSource::describe_search(PluginSearch& /*search*/) const {}

std::string describe_search(const PluginSearch& search)
{
  std::string text = "looked in:";
  for (const auto& place : search.places) {
    text += "\n  " + place;
  }
  if (search.places.empty()) {
    text += " no plugin source";
  }
  if (!search.tries.empty()) {
    text += "\ntry:";
    for (const auto& hint : search.tries) {
      text += "\n  " + hint;
    }
  }
  return text;
}

PluginSearch PluginCatalog::searched() const
{
  PluginSearch search;
  for (const auto& source : m_sources) {
    source->describe_search(search);
  }
  search.tries.insert(search.tries.begin(), "'mdivicom plugins list' to see the plugins found");
  std::vector<std::string> unique;
  for (auto& hint : search.tries) {
    if (std::find(unique.begin(), unique.end(), hint) == unique.end()) {
      unique.push_back(std::move(hint));
    }
  }
  search.tries = std::move(unique);
  return search;
}

void PluginSource::visit_summaries(const SummaryVisitor& found)
{
  visit([&](Plugin&& plugin) { found(PluginSummary::of(plugin)); });
}

void PluginCatalog::add_source(std::unique_ptr<PluginSource> source)
{
  m_sources.push_back(std::move(source));
}

void PluginCatalog::for_each(const std::function<void(const Plugin&)>& found)
{
  std::set<std::string> seen;
  for (const auto& source : m_sources) {
    source->visit([&](Plugin&& plugin) {
      if (is_listed(seen, plugin)) {
        found(plugin);
      }
    });
  }
}

void PluginCatalog::for_each_summary(const std::function<void(const PluginSummary&)>& found)
{
  std::set<std::string> seen;
  for (const auto& source : m_sources) {
    source->visit_summaries([&](PluginSummary&& plugin) {
      if (is_listed(seen, plugin)) {
        found(plugin);
      }
    });
  }
}

std::vector<Plugin> PluginCatalog::plugins()
{
  std::vector<Plugin> all;
  for_each([&](const Plugin& plugin) { all.push_back(plugin); });
  return all;
}

Plugin PluginCatalog::resolve(std::string_view ref_view)
{
  std::string ref(ref_view);
  auto slash = ref.find('/');
  std::vector<Plugin> matches;
  std::string best;
  size_t best_distance = 3;
  for_each([&](const Plugin& plugin) {
    // "/id" names no publisher, so no plugin: the reference's "<publisher>/<id>" needs one.
    bool match = slash == std::string::npos
                     ? plugin.id() == ref
                     : slash > 0 && plugin.publisher() == ref.substr(0, slash) && plugin.id() == ref.substr(slash + 1);
    if (match) {
      matches.push_back(plugin);
    }
    for (const auto& candidate : {plugin.id(), plugin.ref()}) {
      size_t distance = edit_distance(ref, candidate);
      if (distance < best_distance) {
        best_distance = distance;
        best = candidate;
      }
    }
  });
  if (matches.size() == 1) {
    if (matches[0].is_error()) {
      throw usage_error("plugin " + ref + " cannot be used: " + matches[0].origin() + ": " +
                        matches[0].object.value("error", std::string("invalid registration")));
    }
    return std::move(matches[0]);
  }
  if (matches.size() > 1) {
    std::vector<std::string> candidates;
    candidates.reserve(matches.size());
    for (const auto& plugin : matches) {
      candidates.push_back(plugin.ref());
    }
    throw usage_error("Plugin reference '" + ref + "' is ambiguous; use one of: " + join(candidates, ", "));
  }
  std::string message = "Plugin not found: " + ref;
  if (!best.empty()) {
    message += " (did you mean '" + best + "'?)";
  }
  throw usage_error(message + "\n" + describe_search(searched()));
}

} // namespace mdivicom
