#pragma once

#include <cstddef>

// AddressSanitizer replaces malloc: there is no glibc heap to prepare.
#if defined(__SANITIZE_ADDRESS__)
#define MDIVICOM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MDIVICOM_ASAN 1
#endif
#endif

// The memory a Python worker's start writes anyway, populated up front: one madvise per
// region instead of a page fault per page. Starting the interpreter writes ~1.3 MB of
// libpython's static data (its type objects' reference counts), fills ~1 MB of malloc's heap
// and two or more of pymalloc's 1 MiB arenas; that was ~900 page faults per start, and a fault
// costs 1-2 us on bare metal and ~10 us in a VM with shadow page tables. Linux 5.14 or later
// (MADV_POPULATE_WRITE); on older kernels each call does nothing and the pages fault in as
// they used to.
namespace mdivicom::inproc {

// Makes [start, start + size) present and writable; false when the kernel could not (too old,
// or the range is not writable memory).
bool populate_for_write(void* start, std::size_t size);

// The writable data of the executable and of every library loaded with it (the part after
// RELRO that is backed by the file: .data, not .bss), copied on write now. Returns the bytes
// populated.
std::size_t populate_writable_images();

// Grows malloc's main heap by about `bytes`, populates it and frees it again, so that the
// next allocations of the process take memory that is already present. The heap keeps that
// memory: one small block above it (held by this file) is never freed, so the freed space is
// not given back. Meant to be called once, early.
// Returns the bytes populated (0 when the heap could not be grown or populated, and in
// AddressSanitizer builds, whose allocator is not glibc's).
std::size_t populate_malloc_heap(std::size_t bytes);

} // namespace mdivicom::inproc
