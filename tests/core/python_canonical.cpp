#include "python_canonical.hpp"

#include "support/process.hpp"

#include <sstream>
#include <stdexcept>

namespace mdivicom::test {

namespace {

const char* const k_python = "/usr/bin/python3";
const std::string k_script = std::string(MDIVICOM_SOURCE_DIR) + "/tests/tools/gen_configs.py";

std::vector<std::string> run_script(const std::vector<std::string>& args, const std::string& input)
{
  std::vector<std::string> argv = {k_python, k_script};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandOptions options;
  options.input = input;
  options.timeout_s = 60;
  CommandResult result = run_command(argv, options);
  if (result.exit_code != 0) {
    throw std::runtime_error("gen_configs.py failed (exit " + std::to_string(result.exit_code) + "): " + result.err);
  }
  std::vector<std::string> lines;
  std::istringstream in(result.out);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

} // namespace

std::string to_hex(const std::string& bytes)
{
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string hex;
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    hex += k_digits[b >> 4];
    hex += k_digits[b & 0xF];
  }
  return hex;
}

std::string from_hex(const std::string& hex)
{
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return bytes;
}

std::vector<PythonCanonical> python_canonical(const std::vector<std::string>& texts)
{
  std::string input;
  for (const auto& text : texts) {
    input += "x" + to_hex(text) + "\n";
  }
  auto lines = run_script({"canon"}, input);
  if (lines.size() != texts.size()) {
    throw std::runtime_error("gen_configs.py canon answered " + std::to_string(lines.size()) + " lines for " +
                             std::to_string(texts.size()) + " texts");
  }
  std::vector<PythonCanonical> answers;
  for (const auto& line : lines) {
    auto space = line.find(' ');
    std::string canonical = line.substr(0, space);
    if (canonical == "!") {
      answers.push_back({std::nullopt, ""});
    } else {
      answers.push_back({from_hex(canonical), line.substr(space + 1)});
    }
  }
  return answers;
}

std::vector<GeneratedCase> python_generated_cases(unsigned long seed, int count)
{
  std::vector<GeneratedCase> cases;
  for (const auto& line : run_script({"gen", std::to_string(seed), std::to_string(count)}, "")) {
    auto space = line.find(' ');
    std::string expected = line.substr(space + 1);
    cases.push_back({from_hex(line.substr(0, space)),
                     expected == "!" ? std::nullopt : std::optional<std::string>(from_hex(expected))});
  }
  return cases;
}

} // namespace mdivicom::test
