#include "core/redact.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

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

constexpr std::array<std::string_view, 13> k_secret_last_words = {
    "token",      "secret",      "secrets", "password",      "passwords", "passwd",  "passphrase",
    "credential", "credentials", "apikey",  "authorization", "auth",      "apikeys",
};

constexpr std::array<std::string_view, 7> k_secret_key_qualifiers = {
    "api", "private", "secret", "access", "signing", "encryption", "session",
};

bool contains(auto const& list, std::string_view word)
{
  return std::find(list.begin(), list.end(), word) != list.end();
}

void collect_secrets(const nlohmann::json& value, std::set<std::string>& out)
{
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (s.size() >= 4) {
      out.insert(s);
      std::string escaped = nlohmann::json(s).dump();
      out.insert(escaped.substr(1, escaped.size() - 2)); // as it appears inside logged JSON
    }
  } else if (value.is_number_integer()) {
    if (std::string text = value.dump(); text.size() >= 4) {
      out.insert(text);
    }
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
  }
}

// Leftmost match, longest secret at that position. With `hold_partial`, stops where the rest of
// the text is the beginning of a secret and returns that position (else text.size()).
size_t scrub_into(std::string& out, std::string_view text, const std::vector<std::string>& secrets, bool hold_partial)
{
  size_t i = 0;
  while (i < text.size()) {
    std::string_view rest = text.substr(i);
    const std::string* full = nullptr;
    bool partial = false;
    for (const auto& secret : secrets) { // longest first
      if (rest.starts_with(secret)) {
        full = &secret;
        break;
      }
      partial = partial || (hold_partial && std::string_view(secret).starts_with(rest));
    }
    if (full) {
      out += k_redacted;
      i += full->size();
    } else if (partial) {
      return i;
    } else {
      out += text[i++];
    }
  }
  return i;
}

std::vector<std::string> longest_first(std::vector<std::string> secrets)
{
  std::erase_if(secrets, [](const std::string& s) { return s.empty(); });
  std::stable_sort(secrets.begin(), secrets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  return secrets;
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
  return (last == "key" || last == "keys") && words.size() >= 2 &&
         contains(k_secret_key_qualifiers, words[words.size() - 2]);
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
  return config;
}

std::vector<std::string> secret_strings(const nlohmann::json& config)
{
  std::set<std::string> found;
  find_secrets(config, found);
  return longest_first({found.begin(), found.end()});
}

std::string scrub(std::string_view text, const std::vector<std::string>& secrets)
{
  auto ordered = longest_first(secrets);
  std::string out;
  out.reserve(text.size());
  scrub_into(out, text, ordered, false);
  return out;
}

StreamScrubber::StreamScrubber(std::vector<std::string> secrets) : m_secrets(longest_first(std::move(secrets))) {}

std::string StreamScrubber::feed(std::string_view chunk)
{
  m_pending += chunk;
  std::string out;
  size_t done = scrub_into(out, m_pending, m_secrets, true);
  m_pending.erase(0, done);
  return out;
}

std::string StreamScrubber::finish()
{
  std::string out;
  scrub_into(out, m_pending, m_secrets, false);
  m_pending.clear();
  return out;
}

} // namespace mdivicom
