#include "cli/commands.hpp"

#include "core/util/error.hpp"
#include "core/resultbundle/bundle.hpp"
#include "core/resultbundle/pytext.hpp"

#include <iostream>
#include <limits>
#include <memory>

namespace mdivicom::cli {

namespace {

namespace rb = mdivicom::resultbundle;

struct SidecarArgs
{
  std::string sidecar;
  std::string dataset_dir;
  std::string out_dir;
  std::string cwd;
  bool json = false;

  // As the reference: an empty directory argument counts as not given.
  rb::ResolveDirs dirs() const
  {
    const auto given = [](const std::string& dir) {
      return dir.empty() ? std::nullopt : std::optional<std::filesystem::path>(dir);
    };
    return {given(dataset_dir), given(out_dir), given(cwd)};
  }
};

struct ValidateArgs
{
  SidecarArgs common;
  std::string mode;
  std::string policy;
  std::string expect_type;
  std::string supported_major; // read by python_int_option
  std::string min_minor;
  CLI::Option* mode_option = nullptr;
  CLI::Option* policy_option = nullptr;
  CLI::Option* expect_type_option = nullptr;
  CLI::Option* supported_major_option = nullptr;
  CLI::Option* min_minor_option = nullptr;
};

// An integer option as the reference's int() reads it (spaces around it, a sign, '_' between
// digits), refused beyond 64 bits: clamping it would silently change the decision.
int64_t python_int_option(const std::string& name, const std::string& text)
{
  const auto refuse = [&](const std::string& why) { return usage_error(name + " '" + text + "': " + why); };
  size_t begin = text.find_first_not_of(" \t\n\r\f\v");
  size_t end = text.find_last_not_of(" \t\n\r\f\v");
  std::string digits;
  bool negative = false;
  for (size_t i = begin; begin != std::string::npos && i <= end; ++i) {
    char c = text[i];
    if (i == begin && (c == '-' || c == '+')) {
      negative = c == '-';
    } else if (c >= '0' && c <= '9') {
      digits += c;
    } else if (!(c == '_' && !digits.empty() && i < end && text[i - 1] != '_' && text[i + 1] >= '0' &&
                 text[i + 1] <= '9')) {
      throw refuse("expected an integer such as 1 (ASCII digits only)");
    }
  }
  if (digits.empty()) {
    throw refuse("expected an integer such as 1");
  }
  int64_t value = 0;
  for (char c : digits) {
    int digit = c - '0';
    if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) {
      throw refuse("larger than mdivicom handles (at most 9223372036854775807 in magnitude)");
    }
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

void add_sidecar_options(CLI::App& command, SidecarArgs& args)
{
  command.add_option("--sidecar", args.sidecar, "Path to the resultbundle.json sidecar")->required();
  command.add_option("--dataset-dir", args.dataset_dir, "Dataset root, used when source.root_base=dataset_dir");
  command.add_option("--out-dir", args.out_dir, "Output root, used when source.root_base=out_dir");
  command.add_option("--cwd", args.cwd, "Base used when source.root_base=cwd");
  command.add_flag("--json", args.json, "Print machine-readable JSON");
}

void print_resolved(const rb::ResolvedSidecar& resolved)
{
  std::cout << "sidecar: " << resolved.sidecar_path << "\n"
            << "payload_root: " << resolved.payload_root << "\n"
            << "detached: " << rb::python_bool(resolved.detached) << "\n"
            << "type: " << rb::python_str(resolved.sidecar.value("resultbundle_type", nlohmann::json())) << "\n"
            << "schema_version: " << rb::python_str(resolved.sidecar.value("schema_version", nlohmann::json())) << "\n";
  if (resolved.files.empty()) {
    std::cout << "files: (none)\n";
  }
  for (const auto& file : resolved.files) {
    std::cout << "file: " << file.declared_path << " (" << (file.required ? "required" : "optional") << ", "
              << (file.exists ? "ok" : "missing") << ") -> " << file.resolved_path << "\n";
  }
  for (const auto& warning : resolved.warnings) {
    std::cout << "warning: " << warning << "\n";
  }
  for (const auto& issue : resolved.issues) {
    std::cout << "issue: " << issue << "\n";
  }
}

void inspect(const SidecarArgs& args)
{
  auto resolved = rb::inspect_resultbundle(args.sidecar, args.dirs());
  if (!resolved) {
    // Printed here, not thrown: an Error's what() would end at a NUL the message quotes from the
    // sidecar ("Unsupported source.root_base 'a<NUL>b'").
    std::cout.flush();
    std::cerr << "mdivicom: error: " << resolved.error() << "\n";
    set_exit_code(static_cast<int>(ExitCode::failed));
    return;
  }
  if (args.json) {
    std::cout << json_text(resolved->to_json()) << "\n";
  } else {
    print_resolved(*resolved);
  }
}

void print_validation(const rb::BundleValidation& result)
{
  const rb::ValidationReport& report = result.report;
  std::cout << "validation: " << (report.valid ? "valid" : "invalid") << " (mode=" << rb::to_string(report.mode)
            << ")\n";
  if (result.resolved && result.policy != nullptr) {
    std::cout << "policy: " << result.policy->name
              << " (fallback_allowed=" << rb::python_bool(result.policy->allow_fallback) << ")\n";
  }
  for (const auto& error : report.errors) {
    std::cout << "error: " << error << "\n";
  }
  for (const auto& warning : report.warnings) {
    std::cout << "warning: " << warning << "\n";
  }
  for (const auto& note : report.notes) {
    std::cout << "note: " << note << "\n";
  }
  if (result.compatibility) {
    const auto& decision = *result.compatibility;
    std::cout << "compatibility: " << (decision.compatible ? "compatible" : "incompatible") << " (" << decision.level
              << ") - " << decision.reason << "\n";
  }
}

void validate(const ValidateArgs& args)
{
  rb::ValidateOptions options;
  if (*args.mode_option) {
    options.mode = rb::parse_validation_mode(args.mode);
  }
  if (*args.policy_option) {
    options.policy = rb::policy_by_name(args.policy);
  }
  if (*args.expect_type_option) {
    options.expect_type = args.expect_type;
  }
  if (*args.supported_major_option) {
    options.supported_major = python_int_option("--supported-major", args.supported_major);
  }
  if (*args.min_minor_option) {
    options.min_minor = python_int_option("--min-minor", args.min_minor);
  }
  const rb::BundleValidation result = rb::validate_resultbundle(args.common.sidecar, args.common.dirs(), options);
  if (args.common.json) {
    std::cout << json_text(result.to_json()) << "\n";
  } else {
    print_validation(result);
  }
  if (!result.valid()) {
    set_exit_code(static_cast<int>(ExitCode::failed));
  }
}

void list_policies(bool as_json)
{
  if (as_json) {
    nlohmann::json policies = nlohmann::json::object();
    for (const auto& policy : rb::all_policies()) {
      policies[policy.name] = policy.to_json();
    }
    std::cout << json_text({{"policies", policies}}) << "\n";
    return;
  }
  for (const auto& policy : rb::all_policies()) {
    std::cout << policy.name << "\tmode=" << rb::to_string(policy.validation_mode)
              << "\tfallback=" << rb::python_bool(policy.allow_fallback)
              << "\tfallback_reason=" << rb::python_bool(policy.require_fallback_reason) << "\n"
              << "  " << policy.description << "\n";
  }
}

std::vector<std::string> policy_choices()
{
  std::vector<std::string> names;
  for (const auto& policy : rb::all_policies()) {
    names.push_back(policy.name);
  }
  return names;
}

} // namespace

void add_resultbundles_commands(CLI::App& app)
{
  auto* group = app.add_subcommand("resultbundles", "Inspect and validate resultbundle.json sidecars");
  group->require_subcommand(1);
  group->footer("Examples:\n  mdivicom resultbundles inspect --sidecar /tmp/out/x/resultbundle.json\n"
                "  mdivicom resultbundles validate --sidecar /tmp/out/x/resultbundle.json --policy plugin_strict\n"
                "  mdivicom resultbundles policies --json");

  auto* inspect_command = group->add_subcommand("inspect", "Resolve a sidecar and list its files (never strict)");
  inspect_command->footer("Examples:\n  mdivicom resultbundles inspect --sidecar /tmp/out/x/resultbundle.json\n"
                          "  mdivicom resultbundles inspect --sidecar x/resultbundle.json --dataset-dir D --json");
  auto inspect_args = std::make_shared<SidecarArgs>();
  add_sidecar_options(*inspect_command, *inspect_args);
  inspect_command->callback([inspect_args] { inspect(*inspect_args); });

  auto* validate_command =
      group->add_subcommand("validate", "Validate a sidecar's envelope and compatibility; exits 1 when invalid");
  validate_command->footer("Examples:\n  mdivicom resultbundles validate --sidecar /tmp/out/x/resultbundle.json\n"
                           "  mdivicom resultbundles validate --sidecar x/resultbundle.json --mode warn "
                           "--expect-type lab.events");
  auto args = std::make_shared<ValidateArgs>();
  add_sidecar_options(*validate_command, args->common);
  args->mode_option = validate_command->add_option("--mode", args->mode, "strict, warn or off (default: strict)")
                          ->check(CLI::IsMember({"strict", "warn", "off"}));
  args->policy_option =
      validate_command->add_option("--policy", args->policy, "A policy preset that supplies the mode (see 'policies')")
          ->check(CLI::IsMember(policy_choices()));
  args->expect_type_option =
      validate_command->add_option("--expect-type", args->expect_type, "Expected resultbundle_type");
  args->supported_major_option =
      validate_command->add_option("--supported-major", args->supported_major, "Supported schema major version");
  args->min_minor_option =
      validate_command->add_option("--min-minor", args->min_minor, "Preferred minimum schema minor version");
  validate_command->callback([args] { validate(*args); });

  auto* policies_command = group->add_subcommand("policies", "List the validation policy profiles");
  policies_command->footer("Examples:\n  mdivicom resultbundles policies\n  mdivicom resultbundles policies --json");
  auto policies_json = std::make_shared<bool>(false);
  policies_command->add_flag("--json", *policies_json, "Print machine-readable JSON");
  policies_command->callback([policies_json] { list_policies(*policies_json); });
}

} // namespace mdivicom::cli
