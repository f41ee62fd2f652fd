#include <catch2/catch.hpp>

#include "lanes/inproc/python/startup_memory.hpp"

#include <cstdlib>
#include <vector>

#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

using namespace mdivicom::inproc;

namespace {

constexpr std::size_t k_pages = 64;

// Initialized, so in .data (backed by the file, copied on first write), not in .bss. Sized for
// pages of up to 64 KiB.
char g_image_data[k_pages * 64 * 1024] = {1};

long minor_faults()
{
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

long faults_writing_pages(char* start, std::size_t pages)
{
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  long before = minor_faults();
  for (std::size_t i = 0; i < pages; ++i) {
    static_cast<volatile char*>(start)[i * page] = 2;
  }
  return minor_faults() - before;
}

} // namespace

// These run on the kernels mdivicom is tested on (Linux 5.14 or later); on older ones the
// populating calls do nothing, by design, and these checks fail.
TEST_CASE("fresh memory faults once per page written and not at all once populated", "[inproc][memory]")
{
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const std::size_t size = k_pages * page;
  for (bool populate : {false, true}) {
    void* memory = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(memory != MAP_FAILED);
    if (populate) {
      REQUIRE(populate_for_write(memory, size));
      CHECK(faults_writing_pages(static_cast<char*>(memory), k_pages) == 0);
    } else {
      CHECK(faults_writing_pages(static_cast<char*>(memory), k_pages) > 0); // counted (pages may be large)
    }
    munmap(memory, size);
  }
  void* read_only = mmap(nullptr, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK_FALSE(populate_for_write(read_only, page));
  munmap(read_only, page);
}

TEST_CASE("the program's writable data is copied in one call and writing it faults no more", "[inproc][memory]")
{
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  CHECK(populate_writable_images() >= sizeof g_image_data);
#ifdef MDIVICOM_ASAN
  const long shadow = k_pages / 8; // the sanitizer's shadow of those pages faults in on its own
#else
  const long shadow = 0;
#endif
  CHECK(faults_writing_pages(g_image_data + page, k_pages - 2) <= 1 + shadow);
}

TEST_CASE("malloc's heap keeps the populated memory and serves the next allocations from it", "[inproc][memory]")
{
  const std::size_t populated = populate_malloc_heap(1024 * 1024);
#ifdef MDIVICOM_ASAN
  CHECK(populated == 0); // glibc's heap is not the one in use
  return;
#endif
  CHECK(populated >= 960 * 1024);
  // Below the mmap threshold, so from the heap: 768 KiB in blocks of 8 KiB, written.
  std::vector<char*> blocks;
  blocks.reserve(96);
  long before = minor_faults();
  for (int i = 0; i < 96; ++i) {
    blocks.push_back(static_cast<char*>(std::malloc(8 * 1024)));
    for (int offset = 0; offset < 8 * 1024; offset += 512) {
      static_cast<volatile char*>(blocks.back())[offset] = 1;
    }
  }
  CHECK(minor_faults() - before <= 4);
  for (char* block : blocks) {
    std::free(block);
  }
}
