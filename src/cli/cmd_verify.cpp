#include "cli/commands.hpp"

#include "core/batch/verify_batch.hpp"
#include "core/util/error.hpp"
#include "core/util/interrupt.hpp"
#include "core/records/verify.hpp"

#include <iostream>

namespace mdivicom::cli {

namespace {

struct VerifyArgs
{
  std::string path;
  bool as_json = false;
  bool allow_unchecked = false;
};

void verify(const VerifyArgs& args)
{
  InterruptScope interrupts; // Ctrl-C while hashing ends with 130, not a half-printed report
  if (is_batch_directory(args.path)) {
    BatchVerifyReport report = verify_batch(args.path);
    report.allow_unchecked = args.allow_unchecked;
    std::cout << (args.as_json ? json_text(report.to_json()) + "\n" : report.to_text());
    if (!report.ok()) {
      set_exit_code(static_cast<int>(ExitCode::failed));
    }
    return;
  }
  VerifyReport report = verify_outputs(args.path);
  report.allow_unchecked = args.allow_unchecked;
  if (args.as_json) {
    std::cout << json_text(report.to_json()) << "\n";
  } else {
    std::cout << report.to_text();
  }
  if (!report.ok()) {
    set_exit_code(static_cast<int>(ExitCode::failed));
  }
}

} // namespace

void add_verify_command(CLI::App& app)
{
  auto args = std::make_shared<VerifyArgs>();
  auto* command = app.add_subcommand(
      "verify", "Recompute the outputs of every run under an --out directory (or in a pack; for a batch's --out, "
                "of every item) and compare them with the run records: reports modified, missing and unexpected files "
                "and directories; exit 1 on any "
                "difference, and on a latest run that cannot be checked unless --allow-unchecked");
  command->footer("Examples:\n  mdivicom verify /tmp/out\n  mdivicom verify study.tar.zst --json\n"
                  "  mdivicom verify /tmp/out --allow-unchecked");
  command
      ->add_option("out", args->path,
                   "The --out directory of earlier runs or of a batch, or a pack made by 'mdivicom pack'")
      ->required();
  command->add_flag("--json", args->as_json, "Print the report as JSON");
  command->add_flag("--allow-unchecked", args->allow_unchecked,
                    "Do not fail when the latest run of a directory has no outputs inventory (interrupted, killed, "
                    "or recorded by an older mdivicom); it is still reported 'unchecked'");
  command->callback([args] { verify(*args); });
}

} // namespace mdivicom::cli
