#include "core/resultbundle/resolve.hpp"

#include "core/resultbundle/load.hpp"
#include "core/resultbundle/paths.hpp"
#include "core/resultbundle/pytext.hpp"

#include <array>
#include <string_view>

namespace mdivicom::resultbundle {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr std::array<std::string_view, 5> k_root_bases = {"dataset_dir", "out_dir", "cwd", "sidecar_dir", "absolute"};

bool is_portable_base(const std::string& normalized)
{
  return normalized == "dataset_dir" || normalized == "out_dir";
}

std::string normalize_base(const std::string& root_base)
{
  return ascii_lower(python_strip(root_base));
}

// Legacy spellings become the current ones; each rewrite is reported as a warning.
std::vector<std::string> normalize_sidecar(json& sidecar)
{
  std::vector<std::string> warnings;
  if (sidecar.contains("upstream_tool")) {
    for (const char* legacy_key : {"payload_provenance", "upstream"}) {
      if (sidecar.erase(legacy_key) > 0) {
        warnings.push_back(std::string("Deprecated key '") + legacy_key +
                           "' ignored because 'upstream_tool' is present. Writers should emit 'upstream_tool' only.");
      }
    }
  } else {
    for (const char* legacy_key : {"upstream", "payload_provenance"}) {
      if (sidecar.contains(legacy_key)) {
        sidecar["upstream_tool"] = std::move(sidecar[legacy_key]);
        sidecar.erase(legacy_key);
        warnings.push_back(std::string("Deprecated key '") + legacy_key + "' treated as alias for 'upstream_tool'.");
        break;
      }
    }
  }

  auto source = sidecar.find("source");
  if (source == sidecar.end() || !source->is_object()) {
    return warnings;
  }
  auto root_base = source->find("root_base");
  if (root_base == source->end() || !is_nonblank_string(*root_base)) {
    return warnings;
  }
  const std::string raw = root_base->get<std::string>();
  const std::string normalized = normalize_base(raw);
  if (normalized == "input_data_dir" || normalized == "output_data_dir") {
    const std::string canonical = normalized == "input_data_dir" ? "dataset_dir" : "out_dir";
    *root_base = canonical;
    warnings.push_back("Deprecated source.root_base '" + raw + "' normalized to '" + canonical + "'.");
  } else if (std::find(k_root_bases.begin(), k_root_bases.end(), normalized) != k_root_bases.end()) {
    *root_base = normalized;
  }
  return warnings;
}

const std::optional<fs::path>& base_dir(const ResolveDirs& dirs, const std::string& base)
{
  return base == "dataset_dir" ? dirs.dataset_dir : base == "out_dir" ? dirs.out_dir : dirs.cwd;
}

// Sets payload_root, detached and source; records tolerated problems as issues.
Result<bool> resolve_payload_root(ResolvedSidecar& resolved, const ResolveDirs& dirs, bool strict)
{
  const fs::path sidecar_dir = fs::path(resolved.sidecar_path).parent_path();
  const json* source = resolved.sidecar.contains("source") ? &resolved.sidecar["source"] : nullptr;
  if (source == nullptr || !source->is_object()) {
    resolved.payload_root = sidecar_dir.string();
    return true;
  }
  const json root = source->value("root", json());
  const json root_base = source->value("root_base", json());
  if (!is_nonblank_string(root)) {
    return Failure{"Detached sidecar must define source.root as a non-empty string."};
  }
  if (!is_nonblank_string(root_base)) {
    return Failure{"Detached sidecar must define source.root_base as a non-empty string."};
  }
  const std::string root_text = root.get<std::string>();
  const std::string base_text = root_base.get<std::string>();
  const std::string normalized = normalize_base(base_text);
  if (std::find(k_root_bases.begin(), k_root_bases.end(), normalized) == k_root_bases.end()) {
    return Failure{"Unsupported source.root_base '" + base_text +
                   "'. Supported values: dataset_dir, out_dir, cwd, sidecar_dir, absolute."};
  }
  if (root_text.find('\0') != std::string::npos) {
    return Failure{"source.root must not contain a NUL character."};
  }
  resolved.detached = true;
  resolved.source = *source;

  if (normalized == "absolute") {
    auto payload_root = expand_and_resolve(root_text);
    if (!payload_root) {
      return Failure{"source.root could not be resolved: " + payload_root.error()};
    }
    resolved.payload_root = payload_root->string();
    return true;
  }

  fs::path base = sidecar_dir;
  if (normalized != "sidecar_dir") {
    const auto& given = base_dir(dirs, normalized);
    if (!given) {
      return Failure{"source.root_base='" + base_text + "' requires the matching directory argument to be provided."};
    }
    auto resolved_base = expand_and_resolve(given->string());
    if (!resolved_base) {
      return Failure{"The " + normalized + " directory could not be resolved: " + resolved_base.error()};
    }
    base = *resolved_base;
  }
  auto root_path = expand_user(root_text);
  if (!root_path) {
    return Failure{"source.root could not be resolved: " + root_path.error()};
  }
  const bool absolute = !root_path->empty() && root_path->front() == '/';
  auto payload_root = python_resolve(absolute ? fs::path(*root_path) : base / *root_path);
  if (!payload_root) {
    return Failure{"source.root could not be resolved: " + payload_root.error()};
  }
  std::string problem;
  if (absolute) {
    problem = "source.root must be relative to source.root_base='" + normalized + "' in strict mode: " + root_text;
  } else if (!is_within(*payload_root, base)) {
    problem = "source.root escapes source.root_base='" + normalized + "': " + root_text;
  }
  if (!problem.empty()) {
    if (strict) {
      return Failure{problem};
    }
    resolved.issues.push_back(problem);
  }
  resolved.payload_root = payload_root->string();
  return true;
}

// A problem with one file entry: fatal when strict, an issue otherwise.
Result<bool> tolerate(ResolvedSidecar& resolved, bool strict, const std::string& fatal, const std::string& issue)
{
  if (strict) {
    return Failure{fatal};
  }
  resolved.issues.push_back(issue);
  return false;
}

// "files[3].path escapes payload root: ../x", as the reference words it.
std::string path_problem(const std::string& name, std::string_view problem, const std::string& declared)
{
  return name + ".path " + std::string(problem) + ": " + declared;
}

Result<bool> resolve_files(ResolvedSidecar& resolved, const json& files, bool strict)
{
  const fs::path payload_root(resolved.payload_root);
  for (size_t idx = 0; idx < files.size(); ++idx) {
    const json& item = files[idx];
    const std::string name = "files[" + std::to_string(idx) + "]";
    if (!item.is_object()) {
      const std::string message = name + " must be an object.";
      if (auto kept = tolerate(resolved, strict, message, message); !kept)
        return kept;
      continue;
    }
    const json declared_value = item.value("path", json());
    std::string message;
    if (!is_nonblank_string(declared_value)) {
      message = name + ".path must be a non-empty string.";
    } else if (declared_value.get_ref<const std::string&>().find('\0') != std::string::npos) {
      message = name + ".path must not contain a NUL character.";
    }
    if (!message.empty()) {
      if (auto kept = tolerate(resolved, strict, message, message); !kept)
        return kept;
      continue;
    }
    const std::string declared = declared_value.get<std::string>();
    Result<fs::path> resolved_path = fs::path();
    if (declared.front() == '/') {
      resolved_path = expand_and_resolve(declared);
      if (resolved_path) {
        auto kept =
            tolerate(resolved, strict, path_problem(name, "must be relative to payload root in strict mode", declared),
                     name + ".path is absolute; portable relative paths are recommended.");
        if (!kept.ok())
          return kept;
      }
    } else {
      resolved_path = python_resolve(payload_root / declared);
      if (resolved_path && !is_within(*resolved_path, payload_root)) {
        message = path_problem(name, "escapes payload root", declared);
        if (auto kept = tolerate(resolved, strict, message, message); !kept.ok())
          return kept;
      }
    }
    if (!resolved_path) {
      message = name + ".path could not be resolved: " + resolved_path.error();
      if (auto kept = tolerate(resolved, strict, message, message); !kept)
        return kept;
      continue;
    }
    resolved.files.push_back(ResolvedFile{
        declared,
        resolved_path->string(),
        python_str(item.value("role", json(""))),
        python_str(item.value("format", json(""))),
        python_truthy(item.value("required", json(false))),
        path_exists(*resolved_path),
    });
  }
  return true;
}

} // namespace

json ResolvedSidecar::to_json() const
{
  json files_json = json::array();
  for (const auto& file : files) {
    files_json.push_back({
        {"declared_path", file.declared_path},
        {"resolved_path", file.resolved_path},
        {"role", file.role},
        {"format", file.format},
        {"required", file.required},
        {"exists", file.exists},
    });
  }
  return {
      {"sidecar_path", sidecar_path},
      {"payload_root", payload_root},
      {"detached", detached},
      {"resultbundle_type", sidecar.value("resultbundle_type", json())},
      {"schema_version", sidecar.value("schema_version", json())},
      {"source", source},
      {"files", files_json},
      {"issues", issues},
      {"warnings", warnings},
  };
}

Result<ResolvedSidecar> resolve_sidecar(const fs::path& sidecar_path, const ResolveDirs& dirs, bool strict)
{
  auto path = expand_and_resolve(sidecar_path.string());
  if (!path) {
    return Failure{"Sidecar path could not be resolved: " + path.error()};
  }
  auto document = load_sidecar_json(*path);
  if (!document) {
    return Failure{document.error()};
  }
  if (!document->is_object()) {
    return Failure{"Sidecar JSON must be an object."};
  }
  ResolvedSidecar resolved;
  resolved.sidecar_path = path->string();
  resolved.sidecar = std::move(*document);
  resolved.warnings = normalize_sidecar(resolved.sidecar);
  if (auto root = resolve_payload_root(resolved, dirs, strict); !root) {
    return Failure{root.error()};
  }
  const json files = resolved.sidecar.value("files", json());
  if (!files.is_null() && !files.is_array()) {
    return Failure{"Sidecar 'files' must be an array."};
  }
  if (resolved.detached) {
    const std::string root_base = resolved.source.value("root_base", std::string());
    if (!is_portable_base(normalize_base(root_base))) {
      resolved.warnings.push_back("source.root_base='" + root_base +
                                  "' is non-portable; prefer 'dataset_dir' or 'out_dir' for external handoff.");
    }
  }
  if (files.is_array()) {
    if (auto kept = resolve_files(resolved, files, strict); !kept.ok()) {
      return Failure{kept.error()};
    }
  }
  return resolved;
}

} // namespace mdivicom::resultbundle
