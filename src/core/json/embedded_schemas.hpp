#pragma once

#include <string_view>

namespace mdivicom {

// The text of schemas/<name>.schema.json as compiled into the binary; empty when unknown.
std::string_view embedded_schema(std::string_view name);

} // namespace mdivicom
