# The Debian package: `make deb`, or `cpack -G DEB` in the build dir, writes
# mdivicom_<version>_<arch>.deb of exactly what `cmake --install` installs (stripped, as it is),
# in /usr. The binary finds its modules, worker and manifests relative to itself, so the
# prefix the build was configured with does not matter.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mdivicom)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_CONTACT "mdivicom maintainers <mdivicom@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "run lab data-processing plugins reproducibly")
# The synopsis is the summary above; this is the extended description below it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "mdivicom runs Python and container plugins on a recorded dataset and leaves \
isolated outputs plus a record of exactly what ran: the plugin, its config, the dataset's identity and every \
output's hash. Python plugins run in a sandbox (namespaces, a read-only file system, Landlock); container plugins \
through Docker's or Podman's API.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_STRIP_FILES "${MDIVICOM_INSTALL_STRIP}")
# CPack gives the package postinst and postrm scripts that run ldconfig, as it does for any .so
# under usr/lib; the modules in usr/lib/mdivicom/ are opened by path and need none, but the call
# is harmless and CPack has no setting to leave it out.
# Depends: dpkg-shlibdeps reads the shared libraries the binary, the modules and the worker link
# (libc6, libcurl4, libarchive13, ...: whatever this build links, found from the ELF files, so
# that a change of the link cannot leave the list stale). It cannot see the Python standard
# library, which the worker's interpreter (libpython linked statically) imports from /usr/lib.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libpython${PYTHON_EMBED_VERSION}-stdlib")
# The container lane needs an engine, venvs for Python plugins need python3 -m venv, and batch
# --executor slurm needs sbatch; none is needed to run a Python plugin.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3, docker.io | podman")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion, slurm-client")
# cpack packages what is built (make deb builds first) and builds nothing itself: its default
# would rebuild anything out of date, under the feet of tests running this build's programs.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
include(CPack)
