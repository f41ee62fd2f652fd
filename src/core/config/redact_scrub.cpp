#include "core/config/redact_scrub.hpp"

#include "core/config/redact.hpp"

#include <algorithm>
#include <cctype>

namespace mdivicom {

namespace {

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

bool is_hex_digit(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// "sha256:<64 hex>", an image ID, a hash: 32 or more hex digits after an optional "<alnum>:".
bool is_digest(std::string_view text)
{
  size_t colon = text.find(':');
  if (colon != std::string_view::npos &&
      std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(colon),
                  [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; })) {
    text.remove_prefix(colon + 1);
  }
  return text.size() >= 32 && std::all_of(text.begin(), text.end(), is_hex_digit);
}

void scrub_json_sorted(nlohmann::json& value, const std::vector<std::string>& secrets)
{
  if (value.is_string()) {
    auto& text = value.get_ref<std::string&>();
    if (!is_digest(text)) {
      std::string out;
      scrub_into(out, text, secrets, false);
      text = std::move(out);
    }
  } else if (value.is_structured()) {
    for (auto& item : value) {
      scrub_json_sorted(item, secrets);
    }
  }
}

} // namespace

std::string scrub(std::string_view text, const std::vector<std::string>& secrets)
{
  auto ordered = longest_first(secrets);
  std::string out;
  out.reserve(text.size());
  scrub_into(out, text, ordered, false);
  return out;
}

void scrub_json(nlohmann::json& value, const std::vector<std::string>& secrets)
{
  auto ordered = longest_first(secrets);
  if (!ordered.empty()) {
    scrub_json_sorted(value, ordered);
  }
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
