#include "lanes/inproc/python/startup_memory.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

namespace mdivicom::inproc {

namespace {

// [start, end) populated from start's next page boundary on (the page holding `end` included);
// the bytes that were, 0 when none or on failure.
std::size_t populate_pages(std::uintptr_t start, std::uintptr_t end)
{
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  start = (start + page - 1) & ~(page - 1);
  // NOLINTNEXTLINE(performance-no-int-to-ptr): the loader gives addresses as integers
  return end > start && populate_for_write(reinterpret_cast<void*>(start), end - start) ? end - start : 0;
}

#ifndef MDIVICOM_ASAN
// Used only by populate_malloc_heap, which does nothing under ASan (an unused function would
// fail the sanitizer build under -Werror).
std::uintptr_t address(const void* pointer)
{
  return reinterpret_cast<std::uintptr_t>(pointer);
}

// Keeps the heap's populated memory in the heap (populate_malloc_heap).
void* g_heap_pin = nullptr;

// Keeps the compiler from pairing a malloc with its free and dropping both.
void keep(void* pointer)
{
  asm volatile("" : : "r"(pointer) : "memory");
}
#endif

int populate_object(dl_phdr_info* info, std::size_t /*size*/, void* total)
{
  std::uintptr_t relro_end = 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& header = info->dlpi_phdr[i];
    if (header.p_type == PT_GNU_RELRO) {
      relro_end = info->dlpi_addr + header.p_vaddr + header.p_memsz;
    }
  }
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& header = info->dlpi_phdr[i];
    if (header.p_type != PT_LOAD || (header.p_flags & PF_W) == 0) {
      continue;
    }
    // RELRO is read-only by now, and .bss (past the file's bytes) is zero pages the start
    // mostly never touches.
    const std::uintptr_t start = std::max(info->dlpi_addr + header.p_vaddr, relro_end);
    const std::uintptr_t end = info->dlpi_addr + header.p_vaddr + header.p_filesz;
    *static_cast<std::size_t*>(total) += populate_pages(start, end);
  }
  return 0;
}

} // namespace

bool populate_for_write(void* start, std::size_t size)
{
  return madvise(start, size, MADV_POPULATE_WRITE) == 0;
}

std::size_t populate_writable_images()
{
  std::size_t total = 0;
  dl_iterate_phdr(populate_object, &total);
  return total;
}

std::size_t populate_malloc_heap(std::size_t bytes)
{
#ifdef MDIVICOM_ASAN
  (void)bytes;
  return 0;
#else
  // Below malloc's default mmap threshold (128 KiB, which only grows unless set by hand), so
  // that the blocks come from the heap; when they do not, the check below gives up.
  constexpr std::size_t k_block = 64 * 1024 - 64;
  std::vector<void*> blocks;
  blocks.reserve(bytes / k_block + 1);
  for (std::size_t taken = 0; taken < bytes; taken += k_block) {
    void* block = std::malloc(k_block);
    if (block == nullptr) {
      break;
    }
    keep(block);
    blocks.push_back(block);
  }
  if (blocks.size() < 2) {
    for (void* block : blocks) {
      std::free(block);
    }
    return 0;
  }
  // Free blocks that reach the top of the heap are given back to the kernel. The last block,
  // the highest, shrinks in place to a few bytes that stay allocated for the life of the
  // process: the memory below them stays in the heap once freed.
  void* pin = std::realloc(blocks.back(), 16);
  blocks.pop_back();
  auto [low, high] = std::minmax_element(blocks.begin(), blocks.end());
  const std::uintptr_t end = address(*high) + k_block;
  const std::size_t populated = address(pin) > end ? populate_pages(address(*low), end) : 0;
  for (void* block : blocks) {
    std::free(block);
  }
  if (populated == 0) {
    std::free(pin);
  } else {
    std::free(std::exchange(g_heap_pin, pin)); // a second call keeps only the newest
  }
  return populated;
#endif
}

} // namespace mdivicom::inproc
