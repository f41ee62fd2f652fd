#include "core/config/redact.hpp"

#include "core/json/python_float.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <set>
#include <utility>

namespace mdivicom {

namespace {

bool is_upper(char c)
{
  return c >= 'A' && c <= 'Z';
}
bool is_lower_or_digit(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

std::vector<std::string> words_of(std::string_view name)
{
  std::vector<std::string> words(1);
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '_' || c == '-' || c == '.' || c == ' ') {
      words.emplace_back();
      continue;
    }
    // camelCase boundaries: "apiKey" -> api|Key, "APIKey" -> API|Key.
    bool boundary = i > 0 && is_upper(c) &&
                    (is_lower_or_digit(name[i - 1]) ||
                     (is_upper(name[i - 1]) && i + 1 < name.size() && is_lower_or_digit(name[i + 1])));
    if (boundary && !words.back().empty()) {
      words.emplace_back();
    }
    words.back() += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::erase_if(words, [](const std::string& w) { return w.empty(); });
  return words;
}

constexpr auto k_secret_last_words = std::to_array<std::string_view>({
    "token",    "secret",     "secrets",     "password", "passwords", "passwd",     "pwd",           "passphrase",
    "passcode", "credential", "credentials", "creds",    "apikey",    "apikeys",    "authorization", "auth",
    "bearer",   "jwt",        "cookie",      "cookies",  "privkey",   "privatekey", "secretkey",     "accesskey",
});

constexpr auto k_secret_key_qualifiers = std::to_array<std::string_view>({
    "api",    "private", "secret", "access", "signing", "encryption", "decryption",   "session",
    "ssh",    "gpg",     "pgp",    "rsa",    "hmac",    "master",     "client",       "account",
    "shared", "license", "deploy", "auth",   "app",     "consumer",   "subscription",
});

// Words that make an environment variable secret wherever they stand in its name.
constexpr auto k_secret_env_words = std::to_array<std::string_view>({
    "token",
    "tokens",
    "secret",
    "secrets",
    "password",
    "passwords",
    "passwd",
    "passphrase",
    "credential",
    "credentials",
    "apikey",
    "cookie",
});

bool contains(auto const& list, std::string_view word)
{
  return std::find(list.begin(), list.end(), word) != list.end();
}

// The [offset, length) of the password of every scheme://user:password@host in `text`.
std::vector<std::pair<size_t, size_t>> url_passwords(std::string_view text)
{
  std::vector<std::pair<size_t, size_t>> found;
  for (size_t mark = text.find("://"); mark != std::string_view::npos; mark = text.find("://", mark + 3)) {
    if (mark == 0 || !std::isalpha(static_cast<unsigned char>(text[mark - 1]))) {
      continue;
    }
    size_t start = mark + 3;
    size_t end = start;
    while (end < text.size() && std::string_view("/?#\"'<> \t\r\n").find(text[end]) == std::string_view::npos) {
      ++end;
    }
    std::string_view authority = text.substr(start, end - start);
    size_t at = authority.rfind('@');
    size_t colon = authority.substr(0, at == std::string_view::npos ? 0 : at).find(':');
    if (at != std::string_view::npos && colon != std::string_view::npos && colon + 1 < at) {
      found.emplace_back(start + colon + 1, at - colon - 1);
    }
  }
  return found;
}

// repr(s)[1:-1] in Python 3: the quote it picks and the escapes it writes (ASCII controls,
// C1 controls, NBSP and the soft hyphen; other non-printable code points are rare in secrets).
std::string python_repr_inner(std::string_view s)
{
  const bool single = s.find('\'') != std::string_view::npos;
  const bool dbl = s.find('"') != std::string_view::npos;
  const char quote = single && !dbl ? '"' : '\'';
  std::string out;
  char hex[8];
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    auto next = i + 1 < s.size() ? static_cast<unsigned char>(s[i + 1]) : 0;
    if (c == '\\' || c == static_cast<unsigned char>(quote)) {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n' || c == '\r' || c == '\t') {
      out += c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else if (c == 0xC2 && ((next >= 0x80 && next <= 0xA0) || next == 0xAD)) {
      std::snprintf(hex, sizeof hex, "\\x%02x", next);
      out += hex;
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// urllib.parse.quote(s, safe=`safe`), or quote_plus(s) with `plus`: how a secret looks in a URL.
std::string percent_encoded(std::string_view s, std::string_view safe, bool plus)
{
  std::string out;
  char hex[4];
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) || std::string_view("_.-~").find(c) != std::string_view::npos ||
        safe.find(c) != std::string_view::npos) {
      out += c;
    } else if (plus && c == ' ') {
      out += '+';
    } else {
      std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned char>(c));
      out += hex;
    }
  }
  return out;
}

// urllib.parse.unquote(s): a URL's password as the plugin that parses the URL sees it.
std::string percent_decoded(std::string_view s)
{
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

void add_string_forms(const std::string& s, std::set<std::string>& out)
{
  if (s.size() < 4) {
    return;
  }
  out.insert(s);
  out.insert(percent_encoded(s, "/", false));
  out.insert(percent_encoded(s, "", true));
  using nlohmann::json;
  for (bool ensure_ascii : {false, true}) {
    std::string escaped = json(s).dump(-1, ' ', ensure_ascii, json::error_handler_t::replace);
    out.insert(escaped.substr(1, escaped.size() - 2)); // as it appears inside logged JSON
  }
  out.insert(python_repr_inner(s));
}

void add_number_forms(const nlohmann::json& value, std::set<std::string>& out)
{
  std::vector<std::string> forms;
  if (value.is_number_integer()) {
    forms.push_back(value.dump());
  } else {
    double d = value.get<double>();
    forms.push_back(python_float_repr(d));
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 1e16) {
      char text[32];
      std::snprintf(text, sizeof text, "%.0f", d);
      forms.emplace_back(text); // int(x) of a float secret
    }
  }
  for (auto& form : forms) {
    if (form.size() >= 4) {
      out.insert(std::move(form));
    }
  }
}

void collect_secrets(const nlohmann::json& value, std::set<std::string>& out)
{
  if (value.is_string()) {
    add_string_forms(value.get_ref<const std::string&>(), out);
  } else if (value.is_number()) {
    add_number_forms(value, out);
  } else if (value.is_structured()) {
    for (const auto& item : value) {
      collect_secrets(item, out);
    }
  }
}

void find_secrets(const nlohmann::json& value, std::set<std::string>& out)
{
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      if (is_secret_key(key)) {
        collect_secrets(item, out);
      } else {
        find_secrets(item, out);
      }
    }
  } else if (value.is_array()) {
    for (const auto& item : value) {
      find_secrets(item, out);
    }
  } else if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    for (auto [offset, length] : url_passwords(text)) {
      add_string_forms(text.substr(offset, length), out);
      add_string_forms(percent_decoded(text.substr(offset, length)), out);
    }
  }
}

} // namespace

bool is_secret_key(std::string_view name)
{
  auto words = words_of(name);
  if (words.empty()) {
    return false;
  }
  const std::string& last = words.back();
  if (contains(k_secret_last_words, last)) {
    return true;
  }
  if (words.size() < 2) {
    return false;
  }
  const std::string& before = words[words.size() - 2];
  return ((last == "key" || last == "keys") && contains(k_secret_key_qualifiers, before)) ||
         (before == "connection" && last == "string");
}

bool is_secret_env_name(std::string_view name)
{
  if (name == "PWD" || name == "OLDPWD") {
    return false;
  }
  if (is_secret_key(name)) {
    return true;
  }
  auto words = words_of(name);
  if (words.empty()) {
    return false;
  }
  return words.front() == "aws" || words.back() == "key" || words.back() == "keys" ||
         std::any_of(words.begin(), words.end(), [](const std::string& w) { return contains(k_secret_env_words, w); });
}

std::string redact_url_credentials(std::string_view text)
{
  std::string out;
  size_t done = 0;
  for (auto [offset, length] : url_passwords(text)) {
    out.append(text.substr(done, offset - done)).append(k_redacted);
    done = offset + length;
  }
  return out.append(text.substr(done));
}

std::string redact_env_entry(std::string_view entry)
{
  size_t equals = entry.find('=');
  if (equals == std::string_view::npos) {
    return std::string(entry);
  }
  std::string_view name = entry.substr(0, equals);
  if (is_secret_env_name(name)) {
    return std::string(name) + "=" + std::string(k_redacted);
  }
  return std::string(name) + "=" + redact_url_credentials(entry.substr(equals + 1));
}

std::vector<std::string> secret_env_values(const char* const* env)
{
  std::vector<std::string> values;
  for (; env != nullptr && *env != nullptr; ++env) {
    std::string_view entry(*env);
    size_t equals = entry.find('=');
    if (equals == std::string_view::npos || !is_secret_env_name(entry.substr(0, equals))) {
      continue;
    }
    std::string_view value = entry.substr(equals + 1);
    if (value.size() >= 8 && !value.starts_with('/')) {
      values.emplace_back(value);
    }
  }
  return values;
}

nlohmann::json redact(const nlohmann::json& config)
{
  if (config.is_object()) {
    nlohmann::json copy = nlohmann::json::object();
    for (const auto& [key, value] : config.items()) {
      copy[key] = is_secret_key(key) && !value.is_null() ? nlohmann::json(k_redacted) : redact(value);
    }
    return copy;
  }
  if (config.is_array()) {
    nlohmann::json copy = nlohmann::json::array();
    for (const auto& item : config) {
      copy.push_back(redact(item));
    }
    return copy;
  }
  if (config.is_string()) {
    return redact_url_credentials(config.get_ref<const std::string&>());
  }
  return config;
}

std::vector<std::string> secret_strings(const nlohmann::json& config)
{
  std::set<std::string> found;
  find_secrets(config, found);
  std::vector<std::string> secrets(found.begin(), found.end());
  std::stable_sort(secrets.begin(), secrets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  return secrets;
}

} // namespace mdivicom
