#include "core/config/config.hpp"

#include "core/json/canonical.hpp"
#include "core/util/error.hpp"
#include "core/hash/sha256.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

// A config is a handful of settings; anything this big is a mistake (a dataset file passed by
// accident) that would otherwise be read into memory whole.
constexpr std::uintmax_t k_max_config_file_bytes = std::uintmax_t{64} << 20;

std::string type_with_article(const nlohmann::json& value)
{
  switch (value.type()) {
  case nlohmann::json::value_t::array: return "an array";
  case nlohmann::json::value_t::string: return "a string";
  case nlohmann::json::value_t::boolean: return "a boolean";
  case nlohmann::json::value_t::null: return "null";
  default: return "a number";
  }
}

// The argument as it may be quoted in one line of an error message.
std::string quoted_excerpt(std::string_view text)
{
  constexpr size_t k_max = 60;
  std::string excerpt(text.substr(0, k_max));
  for (char& c : excerpt) {
    c = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  }
  return "'" + excerpt + (text.size() > k_max ? "...'" : "'");
}

Config make_config(ParsedJson parsed, std::string text, std::string source, const std::string& where)
{
  if (!parsed.value.is_object()) {
    throw usage_error(where + ": the config must be a JSON object such as {\"threshold\": 0.5}, not " +
                      type_with_article(parsed.value));
  }
  Config config;
  config.hash = sha256_hex(parsed.canonical);
  config.canonical = std::move(parsed.canonical);
  config.value = std::move(parsed.value);
  config.source = std::move(source);
  config.text = std::move(text);
  return config;
}

std::string read_config_file(const fs::path& path)
{
  // A FIFO or a device would hold the run forever (or feed it without end): a config is a file.
  std::error_code error;
  if (fs::exists(path, error) && !fs::is_regular_file(path, error)) {
    throw usage_error("config " + path.string() + " is not a regular file; give --config a JSON file or JSON text");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw usage_error("cannot read config file " + path.string() + ": " + std::strerror(errno));
  }
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > k_max_config_file_bytes) {
      throw usage_error("config file " + path.string() + " is larger than " +
                        std::to_string(k_max_config_file_bytes >> 20) + " MiB; is it really a config?");
    }
  }
  if (in.bad()) {
    throw usage_error("cannot read config file " + path.string() + ": " + std::strerror(errno));
  }
  return text;
}

} // namespace

Config load_config(std::string_view argument)
{
  if (argument.empty()) {
    return make_config({"{}", nlohmann::json::object()}, "{}", "empty", "--config");
  }
  std::error_code error;
  fs::path path(argument);
  auto status = fs::status(path, error); // JSON text makes an odd path, never a wrong one
  if (!error && fs::exists(status)) {
    if (fs::is_directory(status)) {
      throw usage_error("--config " + path.string() + " is a directory; pass a JSON file or JSON text");
    }
    // A byte order mark is refused, as the reference's json.loads(path.read_text()) and the
    // sidecar reader refuse it.
    std::string text = read_config_file(path);
    auto parsed = parse_json_canonical(text);
    if (!parsed) {
      throw usage_error("config file " + path.string() + ": " + parsed.error() + "; fix the JSON");
    }
    return make_config(std::move(*parsed), std::move(text),
                       "file:" + fs::absolute(path, error).lexically_normal().string(), "config file " + path.string());
  }
  auto parsed = parse_json_canonical(argument);
  if (!parsed) {
    throw usage_error("--config " + quoted_excerpt(argument) + " is neither an existing file nor valid JSON (" +
                      parsed.error() + "); pass a path to a JSON file or a JSON object like '{\"key\": 1}'");
  }
  return make_config(std::move(*parsed), std::string(argument), "inline", "--config");
}

} // namespace mdivicom
