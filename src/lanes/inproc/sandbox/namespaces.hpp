#pragma once

#include <string>

// The Python worker's private namespaces (built into mdivicom-python-worker; no dependency on
// core). Entered first thing, before the interpreter starts, while the process is small and
// single-threaded: a fork then copies little, and unshare(CLONE_NEWUSER) is only allowed then.
namespace mdivicom::inproc {

struct Namespaces
{
  bool entered = false;
  bool user_namespace = false; // an unprivileged caller: mounts are allowed through a user namespace
  std::string reason;          // why not entered, with the fix
};

// Unshares a PID namespace (and, unless root, a user namespace mapping the caller's uid and gid
// to themselves), forks an init that unshares a mount namespace, which forks again. Only the
// last process returns: it runs the
// interpreter as PID 2 under a tiny init (PID 1) that reaps orphans and, when the interpreter
// ends, passes its exit status up and exits; the kernel then kills whatever is left in the
// namespace. The original process waits and ends the way the interpreter did, so mdivicom sees
// one worker as before. Every process is tied to its parent (PR_SET_PDEATHSIG): when mdivicom
// dies, however, the namespace dies with it. MDIVICOM_SANDBOX=off skips all of this.
Namespaces enter_namespaces();

// True when MDIVICOM_SANDBOX asks to run without namespaces (off, 0, false, no).
bool sandbox_disabled_by_user();

} // namespace mdivicom::inproc
