#include "core/records/run_order.hpp"

#include <ctime>

namespace mdivicom {

namespace {

// The digits text[at, at + count) as a number, or -1.
int digits_at(std::string_view text, size_t at, size_t count)
{
  if (at + count > text.size()) {
    return -1;
  }
  int value = 0;
  for (size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return -1;
    }
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

std::string string_member(const nlohmann::json& object, const char* key)
{
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace

std::optional<int64_t> timestamp_micros(std::string_view text)
{
  // YYYY-MM-DDTHH:MM:SS, then an optional fraction, then Z or an offset.
  const int year = digits_at(text, 0, 4);
  const int month = digits_at(text, 5, 2);
  const int day = digits_at(text, 8, 2);
  const int hour = digits_at(text, 11, 2);
  const int minute = digits_at(text, 14, 2);
  const int second = digits_at(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 60 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  size_t at = 19;
  int64_t micros = 0;
  if (at < text.size() && text[at] == '.') {
    size_t digits = 0;
    for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, ++digits) {
      if (digits < 6) {
        micros = micros * 10 + (text[at] - '0');
      }
    }
    if (digits == 0) {
      return std::nullopt;
    }
    for (; digits < 6; ++digits) {
      micros *= 10;
    }
  }
  // A time without its zone names no instant.
  int64_t offset_s = 0;
  if (at + 1 == text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    offset_s = 0;
  } else if (at + 6 == text.size() && (text[at] == '+' || text[at] == '-') && text[at + 3] == ':') {
    const int offset_hours = digits_at(text, at + 1, 2);
    const int offset_minutes = digits_at(text, at + 4, 2);
    if (offset_hours < 0 || offset_minutes < 0) {
      return std::nullopt;
    }
    offset_s = (text[at] == '+' ? 1 : -1) * (int64_t{offset_hours} * 3600 + int64_t{offset_minutes} * 60);
  } else {
    return std::nullopt;
  }
  std::tm utc = {};
  utc.tm_year = year - 1900;
  utc.tm_mon = month - 1;
  utc.tm_mday = day;
  utc.tm_hour = hour;
  utc.tm_min = minute;
  utc.tm_sec = second;
  const int64_t seconds = static_cast<int64_t>(::timegm(&utc)) - offset_s;
  return seconds * 1'000'000 + micros;
}

RunOrder run_order(const std::string& run_id, std::string_view started_at, std::string_view finished_at)
{
  RunOrder order;
  order.started_us = timestamp_micros(started_at);
  order.settled_us = timestamp_micros(finished_at);
  if (!order.settled_us) {
    order.settled_us = order.started_us;
  }
  order.run_id = run_id;
  return order;
}

std::string record_started_at(const nlohmann::json& record)
{
  std::string started = string_member(record, "started_at");
  return started.empty() ? string_member(record, "created_at") : started;
}

RunOrder record_run_order(const std::string& run_id, const nlohmann::json& record)
{
  return run_order(run_id, record_started_at(record), string_member(record, "finished_at"));
}

void LatestRuns::offer(const std::string& root, size_t key, RunOrder order)
{
  auto it = m_latest.find(root);
  if (it == m_latest.end()) {
    m_latest.emplace(root, Latest{std::move(order), key});
  } else if (it->second.order < order) {
    it->second = Latest{std::move(order), key};
  }
}

bool LatestRuns::is_latest(const std::string& root, size_t key) const
{
  auto it = m_latest.find(root);
  return it != m_latest.end() && it->second.key == key;
}

} // namespace mdivicom
