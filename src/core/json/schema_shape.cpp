#include "core/json/schema_shape.hpp"

#include <cctype>
#include <algorithm>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace mdivicom {

namespace {

using nlohmann::json;

// Keywords whose subschemas apply to the value itself (draft 7), and those that step into a
// property, an item or a key of it.
constexpr const char* k_same_value_lists[] = {"allOf", "anyOf", "oneOf"};
constexpr const char* k_same_value_single[] = {"not", "if", "then", "else"};
constexpr const char* k_child_maps[] = {"properties", "patternProperties"};
constexpr const char* k_child_single[] = {"additionalProperties", "additionalItems", "contains", "propertyNames"};

std::string escape_token(const std::string& token)
{
  std::string escaped;
  for (char c : token) {
    escaped += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  }
  return escaped;
}

int hex_value(char c)
{
  return std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                                                     : (std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
}

// The JSON pointer of a local $ref ("#", "#/definitions/a%20b/"), as valijson reads it:
// percent-decoded, trailing slashes dropped. nullopt for a reference into another document.
std::optional<std::string> local_pointer(const std::string& ref)
{
  if (ref.empty() || ref[0] != '#') {
    return std::nullopt;
  }
  std::string pointer;
  for (size_t i = 1; i < ref.size(); ++i) {
    if (ref[i] == '%' && i + 2 < ref.size() && std::isxdigit(static_cast<unsigned char>(ref[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(ref[i + 2]))) {
      pointer += static_cast<char>(hex_value(ref[i + 1]) * 16 + hex_value(ref[i + 2]));
      i += 2;
    } else {
      pointer += ref[i];
    }
  }
  while (!pointer.empty() && pointer.back() == '/') {
    pointer.pop_back();
  }
  return pointer;
}

struct Node
{
  const json* value;
  std::vector<std::string> same;     // pointers of subschemas applied to the same value
  std::vector<std::string> children; // pointers of subschemas applied to a part of it
};

class ShapeWalk
{
public:
  explicit ShapeWalk(const json& root) : m_root(root) {}

  Result<SchemaShape> run()
  {
    if (auto problem = collect()) {
      return Failure{*problem};
    }
    if (auto problem = chains()) {
      return Failure{*problem};
    }
    return SchemaShape{m_nodes.size(), m_longest};
  }

private:
  const json& m_root;
  std::map<std::string, Node> m_nodes;
  size_t m_longest = 0;

  // Every subschema reachable from the root, breadth first (no recursion).
  std::optional<std::string> collect()
  {
    std::vector<std::pair<std::string, const json*>> pending = {{"", &m_root}};
    while (!pending.empty()) {
      auto [pointer, value] = std::move(pending.back());
      pending.pop_back();
      if (m_nodes.count(pointer) != 0 || !value->is_object()) {
        continue; // seen, or a boolean schema (a leaf)
      }
      if (m_nodes.size() == k_max_schema_subschemas) {
        return "more than " + std::to_string(k_max_schema_subschemas) + " subschemas, the most mdivicom accepts";
      }
      // valijson matches an "id" against its URN regex with std::regex, which recurses once per
      // character: a long one overflowed the stack.
      if (auto id = value->find("id");
          id != value->end() && id->is_string() && id->get_ref<const std::string&>().size() > k_max_schema_id_bytes) {
        return "the id at #" + pointer + " is longer than " + std::to_string(k_max_schema_id_bytes) +
               " bytes, the most mdivicom accepts";
      }
      Node node{value, {}, {}};
      auto add = [&](std::vector<std::string>& edges, const std::string& to, const json* target) {
        if (!target->is_object()) {
          return; // a boolean schema applies nothing further
        }
        edges.push_back(to);
        pending.emplace_back(to, target);
      };
      auto same_edge = [&](const std::string& to, const json* target) { add(node.same, to, target); };
      auto child_edge = [&](const std::string& to, const json* target) { add(node.children, to, target); };
      auto ref = value->find("$ref");
      if (ref != value->end() && ref->is_string()) {
        // valijson follows a $ref and ignores the keywords beside it, as draft 7 says.
        auto target = local_pointer(ref->get<std::string>());
        if (!target) {
          // valijson resolves some of these against the schema itself in ways this walk cannot
          // follow (a fuzzer's "/b" recursed without end), and mdivicom fetches no other document.
          return "$ref " + ref->dump() + " at #" + pointer +
                 " is not a pointer into this schema; write it as \"#/...\" (other documents are not fetched)";
        }
        {
          try {
            const json& resolved = m_root.at(json::json_pointer(*target));
            add(node.same, canonical(*target), &resolved);
          } catch (const json::exception&) {
            // unresolvable: valijson refuses the schema with its own message
          }
        }
        m_nodes.emplace(pointer, std::move(node));
        continue;
      }
      for (const char* keyword : k_same_value_lists) {
        each_item(*value, keyword, pointer, same_edge);
      }
      for (const char* keyword : k_same_value_single) {
        single(*value, keyword, pointer, same_edge);
      }
      each_member(*value, "dependencies", pointer, same_edge);
      for (const char* keyword : k_child_maps) {
        each_member(*value, keyword, pointer, child_edge);
      }
      for (const char* keyword : k_child_single) {
        single(*value, keyword, pointer, child_edge);
      }
      single(*value, "items", pointer, child_edge);
      each_item(*value, "items", pointer, child_edge);
      m_nodes.emplace(pointer, std::move(node));
    }
    return std::nullopt;
  }

  // A pointer as nlohmann writes it back, so that "#/a" and "#/a/" are one node.
  static std::string canonical(const std::string& pointer) { return json::json_pointer(pointer).to_string(); }

  template <typename Add>
  static void single(const json& value, const char* keyword, const std::string& at, Add add)
  {
    auto it = value.find(keyword);
    if (it != value.end() && it->is_object()) {
      add(at + "/" + keyword, &*it);
    }
  }

  template <typename Add>
  static void each_item(const json& value, const char* keyword, const std::string& at, Add add)
  {
    auto it = value.find(keyword);
    if (it != value.end() && it->is_array()) {
      for (size_t i = 0; i < it->size(); ++i) {
        add(at + "/" + keyword + "/" + std::to_string(i), &(*it)[i]);
      }
    }
  }

  template <typename Add>
  static void each_member(const json& value, const char* keyword, const std::string& at, Add add)
  {
    auto it = value.find(keyword);
    if (it != value.end() && it->is_object()) {
      for (const auto& [key, sub] : it->items()) {
        add(at + "/" + keyword + "/" + escape_token(key), &sub);
      }
    }
  }

  // Depth-first over the same-value edges only, with an explicit stack: a cycle there never
  // ends; otherwise the longest chain bounds how deep one value's validation recurses.
  std::optional<std::string> chains()
  {
    enum class State { open, done };
    std::map<std::string, State> state;
    std::map<std::string, size_t> length; // longest chain starting at a node, in edges
    for (const auto& [start, ignored] : m_nodes) {
      if (state.count(start) != 0) {
        continue;
      }
      std::vector<std::pair<std::string, size_t>> stack = {{start, 0}}; // node, next edge
      state[start] = State::open;
      while (!stack.empty()) {
        auto& [pointer, next] = stack.back();
        const Node& node = m_nodes.at(pointer);
        if (next < node.same.size()) {
          const std::string& to = node.same[next++];
          auto seen = state.find(to);
          if (seen == state.end()) {
            state[to] = State::open;
            stack.emplace_back(to, 0);
          } else if (seen->second == State::open) {
            return cycle(stack, to);
          }
          continue;
        }
        size_t longest = 0;
        for (const auto& to : node.same) {
          longest = std::max(longest, length[to] + 1);
        }
        length[pointer] = longest;
        m_longest = std::max(m_longest, longest);
        state[pointer] = State::done;
        stack.pop_back();
      }
    }
    return std::nullopt;
  }

  static std::string cycle(const std::vector<std::pair<std::string, size_t>>& stack, const std::string& to)
  {
    std::string path;
    bool in_cycle = false;
    for (const auto& [pointer, ignored] : stack) {
      in_cycle = in_cycle || pointer == to;
      if (in_cycle) {
        path += "#" + pointer + " -> ";
      }
    }
    return "a $ref cycle applies a subschema to the same value forever (" + path + "#" + to +
           "); make the cycle step into a property or item, or remove it";
  }
};

} // namespace

Result<SchemaShape> schema_shape(const nlohmann::json& schema)
{
  return ShapeWalk(schema).run();
}

size_t json_depth(const nlohmann::json& value)
{
  size_t deepest = 0;
  std::vector<std::pair<const json*, size_t>> pending = {{&value, 0}};
  while (!pending.empty()) {
    auto [node, depth] = pending.back();
    pending.pop_back();
    if (node->is_object() || node->is_array()) {
      deepest = std::max(deepest, depth + 1);
      for (const auto& child : *node) {
        pending.emplace_back(&child, depth + 1);
      }
    }
  }
  return deepest;
}

} // namespace mdivicom
