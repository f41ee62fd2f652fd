#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "core/util/error.hpp"

namespace mdivicom {

// How far valijson will recurse for a JSON Schema, measured before valijson sees it: its
// parser and its validator recurse once per subschema they apply, and never stop on a $ref
// that leads back to the same value ({"$ref": "#"}, a loop of $refs, {"allOf": [{"$ref": "#"}]}).
struct SchemaShape
{
  size_t subschemas = 0;    // reachable from the root through keywords and local $refs
  size_t longest_chain = 0; // subschemas applied one inside another to the same value
};

// Schemas beyond these are refused: no real config schema comes near them, and at these
// sizes valijson's recursion still fits a thread's 8 MiB stack with room to spare.
inline constexpr size_t k_max_schema_subschemas = 2000;
inline constexpr size_t k_max_schema_recursion = 2048; // (config depth + 1) * (longest chain + 1)
// The longest "id" of a subschema (valijson reads "id", not "$id", and matches it with std::regex).
inline constexpr size_t k_max_schema_id_bytes = 1024;

// The shape, or why valijson must not see the schema: a cycle of subschemas applied to the
// same value ("... (# -> #/definitions/a -> #)"), an id longer than k_max_schema_id_bytes, or
// too many subschemas (which also bounds valijson's parser, and the longest chain). A caller that validates a value
// also checks (its depth + 1) * (longest_chain + 1) against k_max_schema_recursion. A $ref that leads back only through
// a keyword that steps into a property or item (a recursive schema of a tree) is fine: the value's depth ends it.
Result<SchemaShape> schema_shape(const nlohmann::json& schema);

// Depth of nested arrays and objects (a scalar: 0), without recursing.
size_t json_depth(const nlohmann::json& value);

} // namespace mdivicom
