// Reading inventory entries back (verify, RO-Crate): from a JSON value of a run record, or
// straight from a line of an .inventory.jsonl file through nlohmann's SAX interface.

#include "core/records/inventory_parse.hpp"

#include "core/util/text_bytes.hpp"
#include "core/util/utf8.hpp"

#include <optional>

namespace mdivicom {

using nlohmann::json;

namespace {

// The fields an entry may have; unknown keys are ignored (newer writers may add some).
struct EntryFields
{
  std::optional<std::string> path, path_hex, type, sha256, target, target_hex, error;
  std::optional<uint64_t> size;
  bool executable = false;
  bool escapes = false;
};

std::optional<EntryType> entry_type_from_name(const std::string& name)
{
  for (EntryType type : {EntryType::file, EntryType::directory, EntryType::symlink, EntryType::fifo, EntryType::socket,
                         EntryType::char_device, EntryType::block_device, EntryType::unknown}) {
    if (to_string(type) == name) {
      return type;
    }
  }
  return std::nullopt;
}

// Bytes of a path or target: the exact bytes from key_hex when present.
Result<std::string> bytes_of(const std::optional<std::string>& text, const std::optional<std::string>& hex,
                             const char* key)
{
  if (hex) {
    if (auto bytes = from_hex(*hex)) {
      return *bytes;
    }
    return Failure{std::string(key) + "_hex is not hexadecimal"};
  }
  if (!text) {
    return Failure{std::string("no \"") + key + "\""};
  }
  return *text;
}

Result<InventoryEntry> finish_entry(EntryFields& fields)
{
  InventoryEntry entry;
  auto path = bytes_of(fields.path, fields.path_hex, "path");
  if (!path) {
    return Failure{"an entry has " + path.error()};
  }
  entry.path = std::move(*path);
  const std::string shown = "entry \"" + to_valid_utf8(entry.path) + "\"";
  if (entry.path.empty()) {
    return Failure{"an entry has an empty path"};
  }
  auto type = fields.type ? entry_type_from_name(*fields.type) : std::nullopt;
  if (!type) {
    return Failure{shown + " has no known type"};
  }
  entry.type = *type;
  entry.error = fields.error.value_or("");
  if (entry.type == EntryType::file) {
    if (!fields.size) {
      return Failure{shown + " is a file without size"};
    }
    entry.size = *fields.size;
    entry.sha256 = fields.sha256.value_or("");
    entry.executable = fields.executable;
    if (entry.sha256.empty() && entry.error.empty()) {
      return Failure{shown + " is a file without sha256"};
    }
  } else if (entry.type == EntryType::symlink) {
    auto target = bytes_of(fields.target, fields.target_hex, "target");
    if (!target) {
      return Failure{shown + " is a link with " + target.error()};
    }
    entry.target = std::move(*target);
    entry.escapes = fields.escapes;
  }
  return entry;
}

std::optional<std::string>* text_field(EntryFields& fields, std::string_view key)
{
  if (key == "path")
    return &fields.path;
  if (key == "path_hex")
    return &fields.path_hex;
  if (key == "type")
    return &fields.type;
  if (key == "sha256")
    return &fields.sha256;
  if (key == "target")
    return &fields.target;
  if (key == "target_hex")
    return &fields.target_hex;
  if (key == "error")
    return &fields.error;
  return nullptr;
}

// Accepts one flat object of strings, non-negative integers and booleans.
class LineHandler : public nlohmann::json_sax<json>
{
public:
  EntryFields fields;
  std::string problem;

  bool null() override { return value_of_wrong_kind(); }
  bool boolean(bool value) override
  {
    if (m_key == "executable") {
      fields.executable = value;
    } else if (m_key == "escapes") {
      fields.escapes = value;
    }
    return true;
  }
  bool number_integer(number_integer_t value) override
  {
    return value < 0 ? value_of_wrong_kind() : number_unsigned(static_cast<number_unsigned_t>(value));
  }
  bool number_unsigned(number_unsigned_t value) override
  {
    if (m_key == "size") {
      fields.size = value;
    }
    return true;
  }
  bool number_float(number_float_t, const string_t&) override { return value_of_wrong_kind(); }
  bool string(string_t& value) override
  {
    if (auto* field = text_field(fields, m_key)) {
      *field = std::move(value);
    }
    return true;
  }
  bool binary(binary_t&) override { return value_of_wrong_kind(); }
  bool start_object(std::size_t) override { return ++m_depth == 1 || nested(); }
  bool key(string_t& value) override
  {
    m_key = std::move(value);
    return true;
  }
  bool end_object() override
  {
    --m_depth;
    return true;
  }
  bool start_array(std::size_t) override { return nested(); }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override
  {
    problem = "not valid JSON at byte " + std::to_string(position) + ": " + e.what();
    return false;
  }

private:
  bool value_of_wrong_kind()
  {
    problem = "\"" + m_key + "\" has a value of the wrong kind";
    return false;
  }
  bool nested()
  {
    problem = "entries are flat objects";
    return false;
  }

  std::string m_key;
  int m_depth = 0;
};

} // namespace

Result<InventoryEntry> entry_from_json(const json& value)
{
  if (!value.is_object()) {
    return Failure{"an inventory entry is not an object"};
  }
  EntryFields fields;
  for (const auto& [key, item] : value.items()) {
    if (auto* field = text_field(fields, key)) {
      if (!item.is_string()) {
        return Failure{"\"" + key + "\" of an inventory entry is not a string"};
      }
      *field = item.get<std::string>();
    } else if (key == "size") {
      if (!item.is_number_unsigned()) {
        return Failure{"\"size\" of an inventory entry is not a non-negative integer"};
      }
      fields.size = item.get<uint64_t>();
    } else if (key == "executable" || key == "escapes") {
      if (!item.is_boolean()) {
        return Failure{"\"" + key + "\" of an inventory entry is not true or false"};
      }
      (key == "executable" ? fields.executable : fields.escapes) = item.get<bool>();
    }
  }
  return finish_entry(fields);
}

Result<InventoryEntry> parse_inventory_line(std::string_view line)
{
  LineHandler handler;
  if (!json::sax_parse(line.begin(), line.end(), &handler) || !handler.problem.empty()) {
    return Failure{"malformed inventory line: " +
                   (handler.problem.empty() ? std::string("not an object") : handler.problem)};
  }
  return finish_entry(handler.fields);
}

} // namespace mdivicom
