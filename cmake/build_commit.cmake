# Writes ${OUTPUT}: the commit mdivicom is built from, for --version and the run record
# (build_info::k_commit): `git rev-parse --short HEAD` of ${SOURCE_DIR}, with "-dirty" when a
# tracked file differs from it, or "unknown" when ${SOURCE_DIR} is not the top of a git checkout
# (a source tarball unpacked inside another repository must not take that repository's commit).
# Run at every build, not once at configure time, so that a commit made since never leaves the old
# one in the binary; the file is rewritten only when its text changes, so an unchanged commit
# rebuilds nothing.
set(commit "unknown")
if(GIT_EXECUTABLE)
  execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" rev-parse --show-toplevel --short HEAD
                  OUTPUT_VARIABLE lines RESULT_VARIABLE status ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(status EQUAL 0)
    string(REPLACE "\n" ";" lines "${lines}")
    list(GET lines 0 top)
    list(GET lines 1 head)
    file(REAL_PATH "${top}" top)
    file(REAL_PATH "${SOURCE_DIR}" source)
    if(top STREQUAL source)
      set(commit "${head}")
      # --no-optional-locks: a build must not take the index lock a concurrent git command needs.
      execute_process(COMMAND "${GIT_EXECUTABLE}" --no-optional-locks -C "${SOURCE_DIR}" status --porcelain
                              --untracked-files=no
                      OUTPUT_VARIABLE changes RESULT_VARIABLE status ERROR_QUIET)
      if(NOT status EQUAL 0 OR NOT changes STREQUAL "")
        string(APPEND commit "-dirty")
      endif()
    endif()
  endif()
endif()
set(text "// Generated at build time by cmake/build_commit.cmake. Do not edit.
#include \"build_info.hpp\"

namespace mdivicom::build_info {
const char* const k_commit = \"${commit}\";
} // namespace mdivicom::build_info
")
set(old "")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUTPUT}" "${text}")
endif()
