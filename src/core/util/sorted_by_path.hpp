#pragma once

#include <algorithm>
#include <numeric>
#include <vector>

namespace mdivicom {

// The entries of `found` (any indexable container of things with a `path`) moved into a vector
// sorted by path in byte order. Indices are sorted and each entry moved once: cheaper than
// swapping whole entries around. `found` is left empty.
template <typename Container>
std::vector<typename Container::value_type> sorted_by_path(Container& found)
{
  std::vector<size_t> order(found.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return found[a].path < found[b].path; });
  std::vector<typename Container::value_type> sorted;
  sorted.reserve(found.size());
  for (size_t index : order) {
    sorted.push_back(std::move(found[index]));
  }
  found.clear();
  return sorted;
}

} // namespace mdivicom
