#include "cli/commands.hpp"

#include "core/util/error.hpp"
#include "core/util/format_bytes.hpp"
#include "core/records/pack.hpp"

#include <iostream>

#include <spdlog/spdlog.h>

namespace mdivicom::cli {

namespace {

struct PackArgs
{
  std::string out_root;
  std::string file;
  bool json = false;
};

void pack(const PackArgs& args)
{
  PackSummary summary = pack_outputs(args.out_root, args.file);
  if (args.json) {
    std::cout << json_text({{"archive", args.file},
                            {"entries", summary.entries},
                            {"file_bytes", summary.file_bytes},
                            {"hard_links", summary.hard_links},
                            {"not_packed", summary.not_packed}})
              << "\n";
  }
  spdlog::info("packed {} entries ({} of file content) into {}", summary.entries, format_bytes(summary.file_bytes),
               args.file);
}

} // namespace

void add_pack_command(CLI::App& app)
{
  auto args = std::make_shared<PackArgs>();
  auto* command = app.add_subcommand(
      "pack", "Write the outputs and run records of an --out directory into one reproducible archive (the same "
              "files always give the same bytes); 'mdivicom verify' checks a pack too");
  command->add_option("out", args->out_root, "The --out directory of earlier runs")->required();
  command->add_option("-o,--output", args->file, "The archive to write: " + supported_pack_extensions())->required();
  command->add_flag("--json", args->json,
                    "Print what was packed as JSON: archive, entries, file_bytes, hard_links, not_packed");
  command->footer("Examples:\n  mdivicom pack /tmp/out -o study.tar.zst\n  mdivicom pack /tmp/out -o study.zip --json\n"
                  "  mdivicom verify study.tar.zst");
  command->callback([args] { pack(*args); });
}

} // namespace mdivicom::cli
