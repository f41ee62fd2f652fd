#include "core/plugins/manifest_cache.hpp"

#include "core/hash/fnv1a.hpp"
#include "core/util/cache_dir.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <unordered_set>

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

// The cache file: a header line, then one line per manifest:
//   <file name>\t<device> <inode> <size> <mtime_ns> <ctime_ns>\t<publisher>\t<id>\t<kind>\t<version>
// Text fields are stored with '%', tab, newline and other control bytes percent-encoded, so
// that any file name (UTF-8 or not) round-trips byte for byte.
namespace mdivicom {

namespace fs = std::filesystem;

namespace {

constexpr const char* k_format = "mdivicom manifest cache 1";
constexpr size_t k_fields = 6;

std::string encode(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == '%' || byte == 0x7f) {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> decode(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= text.size() ||
        std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16).ptr != text.data() + i + 3) {
      return std::nullopt;
    }
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

std::string identity_text(const FileIdentity& id)
{
  return std::to_string(id.device) + " " + std::to_string(id.inode) + " " + std::to_string(id.size) + " " +
         std::to_string(id.mtime_ns) + " " + std::to_string(id.ctime_ns);
}

std::optional<FileIdentity> parse_identity(std::string_view text)
{
  FileIdentity id;
  const char* at = text.data();
  const char* end = text.data() + text.size();
  auto next = [&](auto& value) {
    auto [ptr, error] = std::from_chars(at, end, value);
    if (error != std::errc()) {
      return false;
    }
    at = ptr < end && *ptr == ' ' ? ptr + 1 : ptr;
    return true;
  };
  if (!next(id.device) || !next(id.inode) || !next(id.size) || !next(id.mtime_ns) || !next(id.ctime_ns) || at != end) {
    return std::nullopt;
  }
  return id;
}

} // namespace

ManifestDirCache::ManifestDirCache(const fs::path& dir, const fs::path& cache_dir, int64_t now_ns)
  : m_dir(dir), m_now_ns(now_ns)
{
  // What a manifest turns into depends on the binary (schema, normalization): the cache is
  // the binary's own, and a rebuilt or upgraded mdivicom starts afresh.
  auto exe = file_identity_at(AT_FDCWD, "/proc/self/exe");
  if (!exe || cache_dir.empty()) {
    return;
  }
  m_file = cache_dir / fnv1a_hex(dir.native());
  m_header = std::string(k_format) + "\t" + identity_text(*exe) + "\t" + encode(dir.native());
  load();
}

fs::path ManifestDirCache::default_dir()
{
  auto cache_dir = find_mdivicom_cache_dir();
  return cache_dir ? *cache_dir / "manifests" : fs::path(); // none: every listing reads every manifest
}

void ManifestDirCache::load()
{
  std::string text;
  try {
    text = read_file(m_file);
  } catch (const Error&) {
    m_changed = true; // none yet
    return;
  }
  size_t end = text.find('\n');
  if (end == std::string::npos || std::string_view(text).substr(0, end) != m_header) {
    m_changed = true; // another binary's, or damaged
    return;
  }
  for (size_t start = end + 1; start < text.size(); start = end + 1) {
    end = text.find('\n', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    std::string_view line = std::string_view(text).substr(start, end - start);
    std::array<std::string_view, k_fields> fields;
    size_t count = 0;
    bool line_ended = false;
    for (size_t at = 0; count < k_fields && !line_ended; at = line.find('\t', at) + 1) {
      size_t tab = line.find('\t', at);
      line_ended = tab == std::string_view::npos;
      fields[count++] = line.substr(at, line_ended ? std::string_view::npos : tab - at);
    }
    auto name = count == k_fields && line_ended ? decode(fields[0]) : std::nullopt;
    auto key = name ? parse_identity(fields[1]) : std::nullopt;
    auto publisher = key ? decode(fields[2]) : std::nullopt;
    auto id = publisher ? decode(fields[3]) : std::nullopt;
    auto kind = id ? decode(fields[4]) : std::nullopt;
    auto version = kind ? decode(fields[5]) : std::nullopt;
    if (!version) {
      m_entries.clear();
      m_changed = true;
      return;
    }
    m_entries[std::move(*name)] = {*key, std::move(*publisher), std::move(*id), std::move(*kind), std::move(*version)};
  }
}

std::optional<PluginSummary> ManifestDirCache::find(const std::string& name, const FileIdentity& key) const
{
  auto found = m_entries.find(name);
  if (found == m_entries.end() || !(found->second.key == key)) {
    return std::nullopt;
  }
  const Entry& entry = found->second;
  return PluginSummary{entry.publisher, entry.id, entry.kind, entry.version, (m_dir / name).string(), ""};
}

void ManifestDirCache::remember(const std::string& name, const FileIdentity& key, const PluginSummary& summary)
{
  if (m_file.empty()) {
    return;
  }
  m_changed = true;
  if (!is_settled(key, m_now_ns) || summary.is_error()) {
    m_entries.erase(name);
    return;
  }
  m_entries[name] = {key, summary.publisher, summary.id, summary.kind, summary.version};
}

void ManifestDirCache::save(const std::vector<std::string>& names)
{
  if (m_file.empty()) {
    return;
  }
  std::unordered_set<std::string_view> present(names.begin(), names.end());
  for (auto entry = m_entries.begin(); entry != m_entries.end();) {
    if (present.count(entry->first) == 0) {
      entry = m_entries.erase(entry);
      m_changed = true;
    } else {
      ++entry;
    }
  }
  if (!m_changed) {
    return;
  }
  std::string text = m_header + "\n";
  for (const auto& name : names) {
    auto found = m_entries.find(name);
    if (found != m_entries.end()) {
      const Entry& entry = found->second;
      text += encode(name) + "\t" + identity_text(entry.key) + "\t" + encode(entry.publisher) + "\t" +
              encode(entry.id) + "\t" + encode(entry.kind) + "\t" + encode(entry.version) + "\n";
    }
  }
  try {
    std::error_code error;
    fs::create_directories(m_file.parent_path(), error);
    write_file_atomic(m_file, text, Durability::atomic);
  } catch (const std::exception& e) {
    spdlog::debug("manifest cache not written: {}", e.what());
  }
}

} // namespace mdivicom
