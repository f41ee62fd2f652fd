#pragma once

// Python's side of the canonical-JSON tests: runs tests/tools/gen_configs.py with Debian's
// /usr/bin/python3 (the interpreter the reference runs on) in one process per call.

#include <optional>
#include <string>
#include <vector>

namespace mdivicom::test {

struct PythonCanonical
{
  std::optional<std::string> canonical; // nullopt: Python refuses the text
  std::string sha256;
};

struct GeneratedCase
{
  std::string text;
  std::optional<std::string> canonical;
};

// What Python computes for each text, in order.
std::vector<PythonCanonical> python_canonical(const std::vector<std::string>& texts);

// `count` random JSON texts from the script's seeded generator, with Python's answers.
std::vector<GeneratedCase> python_generated_cases(unsigned long seed, int count);

std::string to_hex(const std::string& bytes);
std::string from_hex(const std::string& hex);

} // namespace mdivicom::test
