#pragma once

#include <string>
#include <string_view>

namespace mdivicom {

// Python's repr(float): shortest round-trip digits, scientific when the exponent is < -4 or
// >= 16 (1e-05, 0.0001, 123.0, 1e+16, -0.0), and json's NaN / Infinity / -Infinity.
std::string python_float_repr(double value);

// float(lexeme) for a JSON number lexeme: correctly rounded; out of range gives +-inf or +-0.0
// as Python does (1e400 -> inf, 1e-400 -> 0.0).
double parse_python_float(std::string_view lexeme);

} // namespace mdivicom
