# Settings and warnings for our own code only (linked privately, never onto third-party code).
add_library(mdivicom_settings INTERFACE)
target_compile_options(mdivicom_settings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
if(MDIVICOM_WERROR)
  target_compile_options(mdivicom_settings INTERFACE -Werror)
  # GCC 12 at -O2 reports false positives inside nlohmann/json's iterators (and libstdc++'s
  # string code); they stay visible as warnings but cannot be fixed in our code.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(mdivicom_settings INTERFACE -Wno-error=maybe-uninitialized -Wno-error=restrict)
  endif()
endif()
target_compile_definitions(mdivicom_settings INTERFACE $<$<CONFIG:Debug>:_GLIBCXX_ASSERTIONS>)
if(MDIVICOM_SANITIZE)
  target_compile_options(mdivicom_settings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(mdivicom_settings INTERFACE -fsanitize=address,undefined)
endif()
if(MDIVICOM_FUZZ)
  # Coverage for libFuzzer in all of our code; -O1 (after the build type's flags) as libFuzzer
  # advises: fast enough to run, quick to build.
  target_compile_options(mdivicom_settings INTERFACE -fsanitize=fuzzer-no-link -O1 -gline-tables-only)
endif()
