#include "core/json/python_float.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace mdivicom {

double parse_python_float(std::string_view lexeme)
{
  // from_chars leaves the value alone when it is out of range; Python gives inf or 0.0 then,
  // so tell overflow from underflow by the lexeme's decimal magnitude.
  double value = 0;
  auto [end, ec] = std::from_chars(lexeme.data(), lexeme.data() + lexeme.size(), value);
  if (ec != std::errc::result_out_of_range) {
    return value;
  }
  bool negative = lexeme.front() == '-';
  size_t e = lexeme.find_first_of("eE");
  std::string_view mantissa = lexeme.substr(0, e);
  long long exponent = 0;
  if (e != std::string_view::npos) {
    std::string_view digits = lexeme.substr(e + 1);
    bool negative_exponent = !digits.empty() && digits.front() == '-';
    for (char c : digits) {
      if (c >= '0' && c <= '9') {
        exponent = std::min(exponent * 10 + (c - '0'), 1'000'000'000LL);
      }
    }
    exponent = negative_exponent ? -exponent : exponent;
  }
  size_t first_nonzero = mantissa.find_first_of("123456789");
  size_t point = std::min(mantissa.find('.'), mantissa.size());
  long long magnitude = first_nonzero < point ? static_cast<long long>(point - first_nonzero)
                                              : -static_cast<long long>(first_nonzero - point - 1);
  double result = exponent + magnitude > 0 ? HUGE_VAL : 0.0;
  return negative ? -result : result;
}

std::string python_float_repr(double value)
{
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "Infinity" : "-Infinity";
  }
  // Shortest round-trip digits, e.g. "-1.2345e+16"; then lay them out as repr() does.
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string_view sci(buffer, static_cast<size_t>(result.ptr - buffer));
  bool negative = sci.front() == '-';
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c >= '0' && c <= '9') {
      digits += c;
    }
  }
  int exponent = 0;
  std::string_view exponent_text = sci.substr(e + 1);
  std::from_chars(exponent_text.data() + (exponent_text.front() == '+'), exponent_text.data() + exponent_text.size(),
                  exponent);

  std::string out = negative ? "-" : "";
  if (exponent < -4 || exponent >= 16) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) {
      out += '.';
      out.append(digits, 1);
    }
    std::string magnitude = std::to_string(std::abs(exponent));
    out += std::string(exponent < 0 ? "e-" : "e+") + (magnitude.size() < 2 ? "0" : "") + magnitude;
  } else if (exponent < 0) {
    out += "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  } else {
    auto integer_digits = static_cast<size_t>(exponent) + 1;
    if (digits.size() <= integer_digits) {
      out += digits + std::string(integer_digits - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, integer_digits) + "." + digits.substr(integer_digits);
    }
  }
  return out;
}

} // namespace mdivicom
