#include "core/json/formats.hpp"

#include <cstddef>

namespace mdivicom {

namespace {

bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

// Reads exactly two digits at `at` as a number within [low, high].
bool two_digits(std::string_view text, size_t at, int low, int high)
{
  if (at + 2 > text.size() || !is_digit(text[at]) || !is_digit(text[at + 1])) {
    return false;
  }
  int value = (text[at] - '0') * 10 + (text[at + 1] - '0');
  return value >= low && value <= high;
}

// YYYY-MM-DD at the start of `text`; its length, or 0.
size_t date_length(std::string_view text)
{
  size_t year = 0;
  while (year < text.size() && is_digit(text[year])) {
    ++year;
  }
  if (year == 0 || year + 6 > text.size() || text[year] != '-' || text[year + 3] != '-' ||
      !two_digits(text, year + 1, 1, 12) || !two_digits(text, year + 4, 1, 31)) {
    return 0;
  }
  int month = (text[year + 1] - '0') * 10 + (text[year + 2] - '0');
  int day = (text[year + 4] - '0') * 10 + (text[year + 5] - '0');
  int last = month == 2 ? 29 : (month <= 7 ? (month % 2 == 0 ? 30 : 31) : (month % 2 == 0 ? 31 : 30));
  return day <= last ? year + 6 : 0;
}

} // namespace

bool is_schema_date(std::string_view text)
{
  size_t length = date_length(text);
  return length != 0 && length == text.size();
}

bool is_schema_time(std::string_view text)
{
  if (text.size() < 9 || !two_digits(text, 0, 0, 23) || text[2] != ':' || !two_digits(text, 3, 0, 59) ||
      text[5] != ':' || !two_digits(text, 6, 0, 60)) {
    return false;
  }
  size_t at = 8;
  if (text[at] == '.') {
    size_t digits = ++at;
    while (at < text.size() && is_digit(text[at])) {
      ++at;
    }
    if (at == digits) {
      return false;
    }
  }
  std::string_view offset = text.substr(at);
  if (offset == "Z" || offset == "z") {
    return true;
  }
  return offset.size() == 6 && (offset[0] == '+' || offset[0] == '-') && two_digits(offset, 1, 0, 23) &&
         offset[3] == ':' && two_digits(offset, 4, 0, 59);
}

bool is_schema_date_time(std::string_view text)
{
  size_t length = date_length(text);
  return length != 0 && length < text.size() && (text[length] == 'T' || text[length] == 't') &&
         is_schema_time(text.substr(length + 1));
}

} // namespace mdivicom
