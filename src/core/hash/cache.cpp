#include "core/hash/cache.hpp"

#include "core/util/cache_dir.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <spdlog/spdlog.h>

namespace mdivicom {

namespace fs = std::filesystem;

namespace {

constexpr const char* k_header = "mdivicom-file-hashes v1";

bool is_hex_digest(const std::string& text)
{
  return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

} // namespace

FileHashCache::FileHashCache(fs::path dir) : m_dir(std::move(dir)) {}

fs::path FileHashCache::default_dir()
{
  return mdivicom_cache_dir() / "file-hashes" / "v1";
}

size_t FileHashCache::shard_of(const Key& key)
{
  uint64_t mixed = key.second * 0x9E3779B97F4A7C15ull ^ key.first;
  return static_cast<size_t>(mixed >> 56);
}

fs::path FileHashCache::shard_path(size_t shard) const
{
  char name[16];
  std::snprintf(name, sizeof(name), "%02zx.txt", shard);
  return m_dir / name;
}

FileHashCache::Shard FileHashCache::load_shard(size_t shard) const
{
  Shard entries;
  std::error_code error;
  if (m_dir.empty() || !fs::exists(shard_path(shard), error)) {
    return entries;
  }
  std::string text;
  try {
    text = read_file(shard_path(shard), 1ull << 30);
  } catch (const std::exception& e) {
    spdlog::debug("hash cache shard unreadable, ignored: {}", e.what());
    return entries;
  }
  std::istringstream lines(text);
  std::string line;
  bool complete = false;
  if (!std::getline(lines, line) || line != k_header) {
    spdlog::debug("hash cache shard {} has no header; ignored and rebuilt", shard_path(shard).string());
    return {};
  }
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string word;
    if (line.starts_with("end ")) {
      size_t count = 0;
      fields >> word >> count;
      complete = fields && count == entries.size() && lines.peek() == std::char_traits<char>::eof();
      break;
    }
    Key key;
    Value value;
    if (!(fields >> key.first >> key.second >> value.size >> value.mtime_ns >> value.ctime_ns >> value.sha256) ||
        !is_hex_digest(value.sha256) || (fields >> word)) {
      break;
    }
    entries[key] = std::move(value);
  }
  if (!complete) {
    spdlog::debug("hash cache shard {} is damaged; ignored and rebuilt", shard_path(shard).string());
    return {};
  }
  return entries;
}

FileHashCache::Shard& FileHashCache::shard(size_t index)
{
  if (!m_loaded[index]) {
    m_loaded[index] = load_shard(index);
  }
  return *m_loaded[index];
}

std::optional<std::string> FileHashCache::lookup(const FileIdentity& identity)
{
  Key key{identity.device, identity.inode};
  Shard& entries = shard(shard_of(key));
  auto it = entries.find(key);
  if (it == entries.end() || it->second.size != identity.size || it->second.mtime_ns != identity.mtime_ns ||
      it->second.ctime_ns != identity.ctime_ns) {
    return std::nullopt;
  }
  return it->second.sha256;
}

void FileHashCache::store(const FileIdentity& identity, const std::string& sha256)
{
  if (m_dir.empty() || !is_hex_digest(sha256)) {
    return;
  }
  Key key{identity.device, identity.inode};
  Value value{identity.size, identity.mtime_ns, identity.ctime_ns, sha256};
  size_t index = shard_of(key);
  shard(index)[key] = value;
  m_updates[index][key] = std::move(value);
}

void FileHashCache::save()
{
  bool warned = false;
  for (size_t index = 0; index < k_shards; ++index) {
    if (m_updates[index].empty()) {
      continue;
    }
    // Merge with the shard as it is now: another run may have saved since we loaded it.
    Shard merged = load_shard(index);
    for (auto& [key, value] : m_updates[index]) {
      merged[key] = value;
    }
    std::string text = std::string(k_header) + "\n";
    for (const auto& [key, value] : merged) {
      text += std::to_string(key.first) + " " + std::to_string(key.second) + " " + std::to_string(value.size) + " " +
              std::to_string(value.mtime_ns) + " " + std::to_string(value.ctime_ns) + " " + value.sha256 + "\n";
    }
    text += "end " + std::to_string(merged.size()) + "\n";
    try {
      fs::create_directories(m_dir);
      write_file_atomic(shard_path(index), text, Durability::atomic); // a cache: losing it costs a re-read
      m_updates[index].clear();
    } catch (const std::exception& e) {
      if (!warned) {
        spdlog::warn("cannot save the file hash cache ({}); the next run hashes these files again", e.what());
        warned = true;
      }
    }
  }
}

} // namespace mdivicom
