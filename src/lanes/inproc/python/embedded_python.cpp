// The one file that includes <Python.h>: the RAII owners of the interpreter and its objects.
// Part of the worker executable mdivicom-python-worker (worker_main.cpp).
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <marshal.h>

#include "lanes/inproc/python/embedded_python.hpp"

#include "lanes/inproc/python/bootstrap.hpp"
#include "lanes/inproc/python/startup_memory.hpp"

#include <cstdio>
#include <utility>

#include <sys/mman.h>

namespace mdivicom::inproc {

namespace {

constexpr int k_bootstrap_failed = 70; // EX_SOFTWARE

// A strong reference to a Python object; released when destroyed. Move-only.
class PyRef
{
public:
  PyRef() = default;
  explicit PyRef(PyObject* object) : m_object(object) {}
  ~PyRef() { Py_XDECREF(m_object); }
  PyRef(PyRef&& other) noexcept : m_object(std::exchange(other.m_object, nullptr)) {}
  PyRef& operator=(PyRef&& other) noexcept
  {
    std::swap(m_object, other.m_object);
    return *this;
  }
  PyRef(const PyRef&) = delete;
  PyRef& operator=(const PyRef&) = delete;

  PyObject* get() const { return m_object; }
  explicit operator bool() const { return m_object != nullptr; }

private:
  PyObject* m_object = nullptr;
};

// pymalloc's arenas, mapped as CPython maps them, the first few populated in one call
// (startup_memory.hpp): the interpreter's start and site fill the first two, a plugin's first
// imports the next ones (measured: 3 and 4 each took ~60 faults more off a no-op plugin's run).
// Costs at most 2 MiB of memory a small plugin would not have touched. Called with the GIL held.
int g_arenas_to_populate = 4;

void* map_arena(void* /*context*/, size_t size)
{
  void* arena = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (arena == MAP_FAILED) {
    return nullptr;
  }
  if (g_arenas_to_populate > 0) {
    --g_arenas_to_populate;
    populate_for_write(arena, size);
  }
  return arena;
}

void unmap_arena(void* /*context*/, void* arena, size_t size)
{
  munmap(arena, size);
}

// The interpreter's lifetime: initialized from a PyConfig, finalized when destroyed.
class InterpreterScope
{
public:
  explicit InterpreterScope(const InterpreterOptions& options)
  {
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    config.parse_argv = 0;
    // site runs later (run_site), once the job has been received and the sandbox applied.
    config.site_import = 0;
    config.buffered_stdio = options.unbuffered ? 0 : 1;
    char argv0[] = "mdivicom";
    char* argv[] = {argv0};
    PyStatus status = PyConfig_SetBytesArgv(&config, 1, argv);
    if (!PyStatus_Exception(status)) {
      // An absolute program name, so that getpath never searches PATH (where another
      // python3 build may come first) and finds a venv's pyvenv.cfg next to it.
      status = PyConfig_SetBytesString(&config, &config.program_name, options.executable.c_str());
    }
    if (!PyStatus_Exception(status)) {
      // PYTHONPATH joins sys.path after the sandbox (bootstrap add_pythonpath): the start imports
      // `encodings` from sys.path, and a package of that name there would run unconfined.
      status = PyConfig_SetString(&config, &config.pythonpath_env, L"");
    }
    if (!PyStatus_Exception(status)) {
      status = Py_InitializeFromConfig(&config);
    }
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
      std::fprintf(stderr, "mdivicom: cannot start the embedded Python %d.%d (%s): %s\n", PY_MAJOR_VERSION,
                   PY_MINOR_VERSION, options.executable.c_str(),
                   status.err_msg != nullptr ? status.err_msg : "unknown error");
      return;
    }
    m_running = true;
  }

  ~InterpreterScope()
  {
    if (m_running) {
      Py_FinalizeEx();
    }
  }

  InterpreterScope(const InterpreterScope&) = delete;
  InterpreterScope& operator=(const InterpreterScope&) = delete;

  bool running() const { return m_running; }

private:
  bool m_running = false;
};

// Params are plain JSON made by us: null, booleans, integers, strings, arrays and objects.
PyRef to_python(const nlohmann::json& value)
{
  switch (value.type()) {
  case nlohmann::json::value_t::boolean: return PyRef(PyBool_FromLong(value.get<bool>() ? 1 : 0));
  case nlohmann::json::value_t::number_integer: return PyRef(PyLong_FromLongLong(value.get<long long>()));
  case nlohmann::json::value_t::number_unsigned:
    return PyRef(PyLong_FromUnsignedLongLong(value.get<unsigned long long>()));
  case nlohmann::json::value_t::number_float: return PyRef(PyFloat_FromDouble(value.get<double>()));
  case nlohmann::json::value_t::string: {
    const auto& text = value.get_ref<const std::string&>();
    return PyRef(PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "surrogateescape"));
  }
  case nlohmann::json::value_t::array: {
    PyRef list(PyList_New(0));
    for (const auto& item : value) {
      PyRef converted = to_python(item);
      if (!list || !converted || PyList_Append(list.get(), converted.get()) != 0) {
        return PyRef();
      }
    }
    return list;
  }
  case nlohmann::json::value_t::object: {
    PyRef dict(PyDict_New());
    for (const auto& [key, item] : value.items()) {
      PyRef converted = to_python(item);
      if (!dict || !converted || PyDict_SetItemString(dict.get(), key.c_str(), converted.get()) != 0) {
        return PyRef();
      }
    }
    return dict;
  }
  default: Py_INCREF(Py_None); return PyRef(Py_None);
  }
}

// The bootstrap module's globals, executed: its imports are built-in modules only. From the
// code object compiled at build time when this libpython reads its bytecode (same magic
// number), else from the source.
PyObject* load_bootstrap(PyRef& module)
{
  module = PyRef(PyModule_New("_mdivicom_bootstrap"));
  if (!module) {
    return nullptr;
  }
  PyObject* globals = PyModule_GetDict(module.get()); // borrowed
  if (PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins()) != 0) {
    return nullptr;
  }
  long magic = 0;
  for (std::size_t i = 0; i < k_bootstrap_magic_size && i < sizeof magic; ++i) {
    magic |= static_cast<long>(k_bootstrap_magic[i]) << (8 * i);
  }
  PyRef code;
  if (magic == PyImport_GetMagicNumber()) {
    code = PyRef(PyMarshal_ReadObjectFromString(reinterpret_cast<const char*>(k_bootstrap_code),
                                                static_cast<Py_ssize_t>(k_bootstrap_code_size)));
  } else {
    code = PyRef(
        Py_CompileString(reinterpret_cast<const char*>(k_bootstrap_source), "<mdivicom bootstrap>", Py_file_input));
  }
  if (!code) {
    return nullptr;
  }
  PyRef executed(PyEval_EvalCode(code.get(), globals, globals));
  return executed ? globals : nullptr;
}

int call_bootstrap(PyObject* globals, const char* function, const nlohmann::json& params)
{
  PyObject* callable = PyDict_GetItemString(globals, function); // borrowed
  if (callable == nullptr) {
    std::fprintf(stderr, "mdivicom: the bootstrap has no function %s\n", function);
    return k_bootstrap_failed;
  }
  PyRef argument = to_python(params);
  if (!argument) {
    PyErr_Print();
    return k_bootstrap_failed;
  }
  PyRef result(PyObject_CallOneArg(callable, argument.get()));
  if (!result) {
    PyErr_Print();
    return k_bootstrap_failed;
  }
  long code = PyLong_AsLong(result.get());
  if (code == -1 && PyErr_Occurred()) {
    PyErr_Print();
    return k_bootstrap_failed;
  }
  return static_cast<int>(code);
}

} // namespace

int run_embedded_python(const InterpreterOptions& options, const char* function, const JobSource& next_job)
{
  PyObjectArenaAllocator arenas = {nullptr, map_arena, unmap_arena};
  PyObject_SetArenaAllocator(&arenas);
  InterpreterScope interpreter(options);
  if (!interpreter.running()) {
    return k_bootstrap_failed;
  }
  // site is frozen: importing it runs nothing from site-packages while site_import is off;
  // site.main() does that below, as the interpreter's start would have.
  PyRef site(PyImport_ImportModule("site"));
  PyRef bootstrap;
  PyObject* globals = site ? load_bootstrap(bootstrap) : nullptr;
  if (globals == nullptr) {
    PyErr_Print();
    return k_bootstrap_failed;
  }
  std::optional<nlohmann::json> params = next_job();
  if (!params) {
    return 0;
  }
  PyObject* add_pythonpath = PyDict_GetItemString(globals, "add_pythonpath"); // borrowed
  PyRef added(add_pythonpath != nullptr ? PyObject_CallNoArgs(add_pythonpath) : nullptr);
  if (!added) {
    std::fprintf(stderr, "mdivicom: the embedded Python could not add PYTHONPATH to sys.path:\n");
    PyErr_Print();
    return k_bootstrap_failed;
  }
  PyRef site_done(PyObject_CallMethod(site.get(), "main", nullptr));
  if (!site_done) {
    std::fprintf(stderr, "mdivicom: the embedded Python's site.main() failed (site-packages, .pth files):\n");
    PyErr_Print();
    return k_bootstrap_failed;
  }
  return call_bootstrap(globals, function, *params);
}

} // namespace mdivicom::inproc
