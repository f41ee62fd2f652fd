#pragma once

namespace mdivicom::inproc {

// Python source run in every worker's interpreter. Its functions take one JSON string and
// return an exit code; they report to the parent as JSON lines written to params["report_fd"]:
//   run_plugin(params)    imports entry.callable and calls it with the contract's keyword
//                         arguments; events: started, imported, returned | exit | exception.
//   load_plugins(params)  calls get_plugin() of each entry point; events: begin, imported, result.
//   probe(params)         the interpreter's facts; event: probe.
extern const char* const k_bootstrap_source;

} // namespace mdivicom::inproc
