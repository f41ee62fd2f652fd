#pragma once

#include <string_view>

namespace mdivicom {

// JSON Schema's "date", "time" and "date-time" formats (RFC 3339) as valijson checks them,
// without its std::regex, whose matcher recurses once per character of the subject: the year
// is one or more digits, a leap second (60) is allowed, the separator is 'T' or 't', the
// offset 'Z', 'z' or +hh:mm / -hh:mm, and February has up to 29 days in every year.
bool is_schema_date(std::string_view text);
bool is_schema_time(std::string_view text);
bool is_schema_date_time(std::string_view text);

} // namespace mdivicom
