// valijson does the checking; this file turns its violations into messages that name the key,
// the offending value and the rule.
#include "core/config/schema.hpp"

#include "core/util/error.hpp"
#include "core/json/schema.hpp"
#include "core/config/redact.hpp"
#include "core/json/schema_shape.hpp"

#include <algorithm>
#include <cctype>
#include <new>
#include <optional>

namespace mdivicom {

namespace {

using nlohmann::json;

std::vector<std::string> pointer_tokens(const std::string& pointer)
{
  std::vector<std::string> tokens;
  size_t at = 0;
  while (at < pointer.size()) {
    size_t next = pointer.find('/', at + 1);
    std::string token = pointer.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1);
    std::string unescaped;
    for (size_t i = 0; i < token.size(); ++i) {
      if (token[i] == '~' && i + 1 < token.size()) {
        unescaped += token[++i] == '1' ? '/' : '~';
      } else {
        unescaped += token[i];
      }
    }
    tokens.push_back(unescaped);
    at = next == std::string::npos ? pointer.size() : next;
  }
  return tokens;
}

std::string escape_token(const std::string& token)
{
  std::string escaped;
  for (char c : token) {
    escaped += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  }
  return escaped;
}

const json* child(const json& node, const std::string& token)
{
  if (node.is_object()) {
    auto it = node.find(token);
    return it == node.end() ? nullptr : &*it;
  }
  if (node.is_array() && !token.empty() && token.find_first_not_of("0123456789") == std::string::npos &&
      token.size() < 10 && std::stoul(token) < node.size()) {
    return &node[std::stoul(token)];
  }
  return nullptr;
}

// The subschema that governs the value at `tokens`, following properties, additionalProperties
// and items only; nullptr where the schema is more dynamic ($ref, anyOf, ...).
const json* subschema_at(const json& schema, const std::vector<std::string>& tokens)
{
  const json* node = &schema;
  for (const auto& token : tokens) {
    const json* next = nullptr;
    if (node->contains("properties") && (*node)["properties"].contains(token)) {
      next = &(*node)["properties"][token];
    } else if (node->contains("items") && (*node)["items"].is_object()) {
      next = &(*node)["items"];
    } else if (node->contains("items") && (*node)["items"].is_array()) {
      next = child((*node)["items"], token);
    } else if (node->contains("additionalProperties") && (*node)["additionalProperties"].is_object()) {
      next = &(*node)["additionalProperties"];
    }
    if (!next || !next->is_object()) {
      return nullptr;
    }
    node = next;
  }
  return node;
}

std::string type_name(const json& value)
{
  switch (value.type()) {
  case json::value_t::object: return "an object";
  case json::value_t::array: return "an array";
  case json::value_t::string: return "a string";
  case json::value_t::boolean: return "a boolean";
  case json::value_t::null: return "null";
  case json::value_t::number_float: return "a number";
  default: return "an integer";
  }
}

std::string shown(const json& value)
{
  constexpr size_t k_max = 80;
  std::string text = value.dump();
  return text.size() > k_max ? text.substr(0, k_max) + "..." : text;
}

// valijson writes bounds with std::to_string ("5.000000"); prefer the schema's own text.
std::string bound(const json* schema, std::initializer_list<const char*> keywords, const std::string& fallback)
{
  for (const char* keyword : keywords) {
    if (schema && schema->contains(keyword) && (*schema)[keyword].is_number()) {
      return (*schema)[keyword].dump();
    }
  }
  std::string text = fallback;
  if (text.find('.') != std::string::npos) {
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') {
      text.pop_back();
    }
  }
  return text;
}

struct Readable
{
  std::string pointer;
  std::string message;
};

// valijson's own message without its final period, first letter lowercased: for the rules
// mdivicom has no words of its own for.
std::string valijson_words(const std::string& message)
{
  std::string text = message;
  while (!text.empty() && (text.back() == '.' || text.back() == ' ')) {
    text.pop_back();
  }
  if (!text.empty()) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

Readable readable(const SchemaViolation& violation, const json& config, const json& schema)
{
  auto tokens = pointer_tokens(violation.pointer);
  const json* rule = subschema_at(schema, tokens);
  const json* value = &config;
  for (const auto& token : tokens) {
    value = value ? child(*value, token) : nullptr;
  }
  bool secret = std::any_of(tokens.begin(), tokens.end(), [](const auto& t) { return is_secret_key(t); });
  std::string v = !value ? "" : secret ? std::string("\"").append(k_redacted).append("\"") : shown(redact(*value));
  const std::string& limit = violation.argument;
  auto has = [&](const char* keyword) { return rule && rule->contains(keyword); };

  switch (violation.keyword) {
  case SchemaKeyword::required: return {violation.pointer + "/" + escape_token(limit), "required key is missing"};
  case SchemaKeyword::additional_properties: {
    std::string known;
    if (has("properties") && (*rule)["properties"].is_object()) {
      for (const auto& [key, ignored] : (*rule)["properties"].items()) {
        known += (known.empty() ? "" : ", ") + key;
      }
    }
    return {violation.pointer + "/" + escape_token(limit),
            "unknown key (additionalProperties is false" + (known.empty() ? "" : "; known keys: " + known) + ")"};
  }
  case SchemaKeyword::maximum:
    return {violation.pointer, "value " + v + " is greater than maximum " + bound(rule, {"maximum"}, limit)};
  case SchemaKeyword::exclusive_maximum:
    return {violation.pointer,
            "value " + v + " is not less than exclusiveMaximum " + bound(rule, {"exclusiveMaximum", "maximum"}, limit)};
  case SchemaKeyword::minimum:
    return {violation.pointer, "value " + v + " is less than minimum " + bound(rule, {"minimum"}, limit)};
  case SchemaKeyword::exclusive_minimum:
    return {violation.pointer, "value " + v + " is not greater than exclusiveMinimum " +
                                   bound(rule, {"exclusiveMinimum", "minimum"}, limit)};
  case SchemaKeyword::max_length:
    return {violation.pointer, "string " + v + " is longer than maxLength " + bound(rule, {"maxLength"}, limit)};
  case SchemaKeyword::min_length:
    return {violation.pointer, "string " + v + " is shorter than minLength " + bound(rule, {"minLength"}, limit)};
  case SchemaKeyword::multiple_of:
    return {violation.pointer, "value " + v + " is not a multiple of " + bound(rule, {"multipleOf"}, limit)};
  case SchemaKeyword::type:
    if (value) {
      std::string expected;
      if (has("type")) {
        for (const auto& t : (*rule)["type"].is_array() ? (*rule)["type"] : json::array({(*rule)["type"]})) {
          expected += (expected.empty() ? "" : " or ") + (t.is_string() ? t.get<std::string>() : t.dump());
        }
      }
      return {violation.pointer,
              "value " + v + " is " + type_name(*value) +
                  (expected.empty() ? ", a type the schema does not allow" : ", expected " + expected)};
    }
    break;
  case SchemaKeyword::enum_values:
    if (has("enum")) {
      return {violation.pointer, "value " + v + " is not one of " + shown((*rule)["enum"])};
    }
    break;
  case SchemaKeyword::const_value:
    if (has("const")) {
      return {violation.pointer, "value " + v + " is not the required value " + shown((*rule)["const"])};
    }
    break;
  case SchemaKeyword::pattern:
    if (has("pattern")) {
      return {violation.pointer, "string " + v + " does not match pattern " + shown((*rule)["pattern"])};
    }
    break;
  case SchemaKeyword::max_items:
  case SchemaKeyword::min_items:
  case SchemaKeyword::max_properties:
  case SchemaKeyword::min_properties:
    if (value) {
      return {violation.pointer, (value->is_array() ? "array has " : "object has ") + std::to_string(value->size()) +
                                     (value->is_array() ? " items; " : " keys; ") + valijson_words(violation.message)};
    }
    break;
  case SchemaKeyword::other: break;
  }
  return {violation.pointer, (v.empty() ? "" : "value " + v + ": ") + valijson_words(violation.message)};
}

std::string plugin_schema_problem(const std::string& plugin_ref, const std::string& what)
{
  return "plugin " + plugin_ref + ": " + what + "; fix the plugin's manifest or tell its author";
}

} // namespace

void check_config_against_schema(const Config& config, const nlohmann::json& config_schema,
                                 const std::string& plugin_ref)
{
  if (config_schema.is_null() || (config_schema.is_boolean() && config_schema.get<bool>())) {
    return;
  }
  if (config_schema.is_boolean()) {
    throw usage_error(plugin_schema_problem(plugin_ref, "meta.config_schema is false, which accepts no config at all"));
  }
  if (!config_schema.is_object()) {
    throw usage_error(plugin_schema_problem(plugin_ref, "meta.config_schema must be a JSON Schema object, not " +
                                                            type_name(config_schema)));
  }
  auto shape = schema_shape(config_schema);
  if (!shape) {
    throw usage_error(plugin_schema_problem(plugin_ref, "meta.config_schema cannot be checked: " + shape.error()));
  }
  if (size_t depth = json_depth(config.value); (depth + 1) * (shape->longest_chain + 1) > k_max_schema_recursion) {
    throw usage_error("plugin " + plugin_ref + ": the config nests " + std::to_string(depth) +
                      " levels, too deep to check against meta.config_schema (whose subschemas chain " +
                      std::to_string(shape->longest_chain + 1) + " deep); flatten the config");
  }
  std::optional<JsonSchema> schema;
  try {
    schema.emplace(config_schema);
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    std::string reason = e.what();
    const std::string prefix = "invalid JSON Schema: "; // JsonSchema's own wording; we say it already
    throw usage_error(plugin_schema_problem(
        plugin_ref, reason.starts_with(prefix)
                        ? "meta.config_schema is not a valid JSON Schema (" + reason.substr(prefix.size()) + ")"
                        : "meta.config_schema: " + reason)); // valid, but a pattern mdivicom cannot match
  }
  std::vector<SchemaViolation> violations;
  try {
    violations = schema->validate(config.value);
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) { // valijson's own, on a schema it parsed but cannot apply
    throw usage_error(plugin_schema_problem(plugin_ref, std::string("meta.config_schema is not a valid JSON Schema (") +
                                                            e.what() + ")"));
  }
  if (violations.empty()) {
    return;
  }
  std::string message;
  for (const auto& violation : violations) {
    Readable r = readable(violation, config.value, config_schema);
    // Appended piece by piece: `"literal" + string` here makes GCC 12 at -O3 warn (-Wrestrict,
    // a false positive).
    if (!message.empty()) {
      message += '\n';
    }
    message.append("plugin ").append(plugin_ref).append(": config ");
    if (!r.pointer.empty()) {
      message.append(r.pointer).append(": ");
    }
    message += r.message;
  }
  throw usage_error(message);
}

} // namespace mdivicom
