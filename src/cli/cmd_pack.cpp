#include "cli/commands.hpp"

#include "core/util/error.hpp"
#include "core/util/format_bytes.hpp"
#include "core/records/pack.hpp"

#include <spdlog/spdlog.h>

namespace mdivicom::cli {

namespace {

struct PackArgs
{
  std::string out_root;
  std::string file;
};

void pack(const PackArgs& args)
{
  PackSummary summary = pack_outputs(args.out_root, args.file);
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
  command->callback([args] { pack(*args); });
}

} // namespace mdivicom::cli
