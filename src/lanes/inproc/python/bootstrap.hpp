#pragma once

#include <cstddef>

namespace mdivicom::inproc {

// bootstrap.py, the Python side of the worker, compiled at build time (generated
// bootstrap_code.cpp): the marshalled code object, the bytecode magic number of the Python
// that compiled it, and the source (NUL-terminated) for a libpython with another magic.
extern const unsigned char k_bootstrap_magic[];
extern const std::size_t k_bootstrap_magic_size;
extern const unsigned char k_bootstrap_code[];
extern const std::size_t k_bootstrap_code_size;
extern const unsigned char k_bootstrap_source[];
extern const std::size_t k_bootstrap_source_size;

} // namespace mdivicom::inproc
