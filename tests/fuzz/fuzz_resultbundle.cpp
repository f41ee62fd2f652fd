// A resultbundle.json sidecar, as `resultbundles validate` and `inspect` read it: loaded the
// reference's way, resolved against its directory, its envelope checked in every mode.
#include "core/resultbundle/bundle.hpp"
#include "core/resultbundle/load.hpp"

#include "fuzz/fuzz_support.hpp"

#include <filesystem>
#include <fstream>

namespace {

// A directory of this process for the sidecar, so that its relative paths resolve somewhere.
const std::filesystem::path& sidecar_dir()
{
  static const mdivicom::fuzz::ScratchDir dir(std::filesystem::temp_directory_path());
  static const bool made = [] {
    std::filesystem::create_directories(dir.path() / "bundle" / "gaze");
    std::ofstream(dir.path() / "bundle" / "gaze" / "fixations.tsv") << "t\tx\n";
    return true;
  }();
  (void)made;
  return dir.path();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace mdivicom;
  using namespace mdivicom::resultbundle;
  std::string_view text = fuzz::as_text(data, size);
  {
    fuzz::MemoryFile file(text);
    auto loaded = load_sidecar_json(file.path());
    if (loaded) {
      (void)validate_envelope(*loaded, ValidationMode::strict, nullptr).to_json().dump();
      (void)validate_envelope(*loaded, ValidationMode::warn, nullptr).to_json().dump();
    }
  }
  const std::filesystem::path sidecar = sidecar_dir() / "bundle" / "resultbundle.json";
  std::ofstream(sidecar, std::ios::binary | std::ios::trunc).write(text.data(), static_cast<std::streamsize>(size));
  ResolveDirs dirs{sidecar_dir(), sidecar_dir() / "out", sidecar_dir()};
  for (auto mode : {ValidationMode::strict, ValidationMode::warn, ValidationMode::off}) {
    ValidateOptions options;
    options.mode = mode;
    options.expect_type = "gaze";
    options.supported_major = 1;
    options.min_minor = 0;
    BundleValidation result = validate_resultbundle(sidecar, dirs, options);
    (void)result.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  if (auto inspected = inspect_resultbundle(sidecar, dirs)) {
    (void)inspected->to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return 0;
}
