#pragma once

// For modules' sides of their interfaces: no exception crosses from a module into mdivicom
// (mdivicom links its C++ runtime statically, modules use the shared one), so a module turns
// what its code throws into a message. Header-only: modules link nothing of ours.

#include <exception>
#include <string>

namespace mdivicom {

// "" when `call` returned, else what it threw (`fallback` when that says nothing).
template <typename Call>
std::string message_of(Call&& call, const char* fallback) noexcept
{
  try {
    call();
    return {};
  } catch (const std::exception& e) {
    return *e.what() != '\0' ? e.what() : fallback;
  } catch (...) {
    return fallback;
  }
}

} // namespace mdivicom
