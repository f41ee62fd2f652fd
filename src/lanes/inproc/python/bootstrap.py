# The Python side of mdivicom's Python worker (mdivicom-python-worker): run in every worker's
# interpreter, compiled to a code object when mdivicom is built (cmake/compile_bootstrap.py).
# add_pythonpath() is called by the worker before site.main(). The other functions take the
# params (a dict) and return an exit code; they report to mdivicom as JSON lines written to
# params["report_fd"]:
#   run_plugin(params)    imports entry.callable and calls it with the contract's keyword
#                         arguments; events: started, imported, returned | exit | exception.
#   load_plugins(params)  calls get_plugin() of each entry point; events: begin, imported, result.
#   probe(params)         the interpreter's facts; event: probe.
# Imports are kept to built-in and already-loaded modules on the run path: json, logging and
# traceback each cost more than the interpreter's own start, and a run must stay close to a
# bare `python3 -c "import mod; mod.run(...)"`.
import faulthandler
import math
import os
import sys


_ESCAPES = {code: "\\u%04x" % code for code in range(32)}
_ESCAPES.update({ord('"'): '\\"', ord("\\"): "\\\\"})


def _encode(value):
    """JSON text for report events; lone surrogates are replaced when the line is encoded."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.translate(_ESCAPES) + '"'
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return float.__repr__(value) if math.isfinite(value) else "null"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_encode(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(_encode(str(key)) + ":" + _encode(item) for key, item in value.items()) + "}"
    return _encode(repr(value))


def _reporter(fd):
    def report(event, **fields):
        fields["event"] = event
        # Lone surrogates (undecodable file names) cannot be UTF-8; the parent needs valid JSON.
        data = memoryview((_encode(fields) + "\n").encode("utf-8", "replace"))
        while data:
            written = os.write(fd, data)
            data = data[written:]
    return report


class _JsonContext:
    # What json.JSONDecoder hands its C scanner: json.loads' exact rules, int() and float()
    # for numbers, without importing json (and re).
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__


def _loads(text):
    import _json
    space = " \t\n\r"
    start = len(text) - len(text.lstrip(space))
    value, end = _json.make_scanner(_JsonContext)(text, start)
    if text[end:].strip(space):
        raise ValueError("extra data after the JSON value at %d" % end)
    return value


def _type_name(error_type):
    module = getattr(error_type, "__module__", "builtins")
    name = getattr(error_type, "__qualname__", error_type.__name__)
    return name if module in ("builtins", "__main__") else module + "." + name


def _message(error):
    try:
        return str(error)
    except BaseException:
        return "<unprintable %s>" % type(error).__name__


def _format_exception():
    import traceback
    return traceback.format_exc()


def _python_facts():
    return {
        "version": "%d.%d.%d" % sys.version_info[:3],
        "version_full": sys.version,
        "implementation": sys.implementation.name,
        "executable": sys.executable,
        "prefix": sys.prefix,
        "base_prefix": sys.base_prefix,
        "sys_path": list(sys.path),
    }


def add_pythonpath():
    """PYTHONPATH's entries, where the interpreter's start puts them (before the standard
    library). The worker leaves them out of that start (a PYTHONPATH `encodings` package would
    run before the sandbox); it calls this once the sandbox is on, before site.main(), which
    makes them absolute and drops duplicates as it always does."""
    value = os.environ.get("PYTHONPATH")
    if value:
        sys.path[0:0] = [os.path.abspath(entry) for entry in value.split(os.pathsep)]


def _prepend_sys_path(entries):
    for entry in reversed(entries):
        if entry in sys.path:
            sys.path.remove(entry)
        sys.path.insert(0, entry)


def _resolve(ref):
    module_name, _, attr_path = ref.partition(":")
    module_name = module_name.strip()
    __import__(module_name)
    module = sys.modules[module_name]
    target = module
    if attr_path.strip():
        for part in attr_path.strip().split("."):
            target = getattr(target, part)
    return module, target


# The plugin's top-level package ("mypkg" of mypkg.sub:run): its loggers are the plugin's own.
_plugin_package = None


def _prints_to_run_log(logging, handler):
    # A handler writing to the worker's stdout or stderr: what it handles is in the run log already.
    if not isinstance(handler, logging.StreamHandler) or isinstance(handler, logging.FileHandler):
        return False
    stream = getattr(handler, "stream", None)
    if stream is None:
        return False
    if stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        return True
    try:
        return stream.fileno() in (1, 2)
    except Exception:
        return False


def _root_handler_filter(logging):
    loggers = logging.Logger.manager.loggerDict

    def keep(record):
        # Each line once: a logger on the record's way up (propagate, the default) that has a
        # handler of its own printing to the terminal has shown it already.
        asked = False
        logger = loggers.get(record.name)
        while isinstance(logger, logging.Logger) and logger is not logging.root:
            for handler in logger.handlers:
                if record.levelno >= handler.level and _prints_to_run_log(logging, handler):
                    return False
            asked = asked or logger.level != logging.NOTSET
            logger = logger.parent
        # The root's INFO level is for the plugin's logging.info() and its own loggers; a library's
        # INFO lines stay hidden as in a bare interpreter (whose last-resort handler shows WARNING
        # and above), unless the plugin set a level on that logger itself.
        if record.levelno >= logging.WARNING or asked:
            return True
        top = record.name.partition(".")[0]
        return top in ("root", "__main__", _plugin_package) or top not in sys.modules

    return keep


def _configure_logging(logging):
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
        handler.addFilter(_root_handler_filter(logging))
        root.addHandler(handler)
        root.setLevel(logging.INFO)


class _ConfiguringLoader:
    def __init__(self, loader):
        self.loader = loader

    def __getattr__(self, name):
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        _configure_logging(module)


class _LoggingImportHook:
    # INFO logging must show even when run() imports logging itself; importing logging up
    # front for every plugin would cost more than starting the interpreter.
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != "logging":
            return None
        sys.meta_path.remove(cls)
        for finder in sys.meta_path:
            find_spec = getattr(finder, "find_spec", None)
            spec = find_spec(name, path, target) if find_spec else None
            if spec is not None and spec.loader is not None:
                spec.loader = _ConfiguringLoader(spec.loader)
                return spec
        return None


def _setup_logging(module_name):
    # After the plugin's import, so that its own logging.basicConfig() at import time wins.
    global _plugin_package
    _plugin_package = module_name.partition(".")[0]
    if "logging" in sys.modules:
        _configure_logging(sys.modules["logging"])
    else:
        sys.meta_path.insert(0, _LoggingImportHook)


def run_plugin(params):
    report = _reporter(params["report_fd"])
    if params.get("tmp_dir"):
        # os.environ was read when the interpreter started; this also sets the C environment.
        os.environ["TMPDIR"] = params["tmp_dir"]
    try:
        faulthandler.enable()
        _prepend_sys_path(params["sys_path_prepend"])
        report("started", python=_python_facts(), pid=os.getpid())
        module, target = _resolve(params["callable"])
        report("imported", module=module.__name__, module_file=getattr(module, "__file__", None))
        kwargs = dict(params["kwargs"])
        config_text = params["config_text"]
        kwargs["config"] = {} if config_text == "{}" else _loads(config_text)
        _setup_logging(module.__name__)
        target(**kwargs)
        report("returned")
        return 0
    except SystemExit as error:
        code = error.code
        if code is None or code is False:
            code = 0
        elif not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
        if code == 0:
            report("returned", via="sys.exit")
            return 0
        report("exit", exit_code=int(code), type="SystemExit",
               message="the plugin called sys.exit(%r)" % (error.code,),
               traceback=_format_exception())
        return (int(code) & 0xFF) or 1
    except BaseException as error:
        text = _format_exception()
        try:
            sys.stderr.write(text)
            sys.stderr.flush()
        except BaseException:
            pass
        report("exception", type=_type_name(type(error)), message=_message(error), traceback=text)
        return 130 if isinstance(error, KeyboardInterrupt) else 1


def _json_problem(value, where, depth=0):
    if depth > 64:
        return where + ": nested more than 64 levels deep"
    if value is None or isinstance(value, (bool, str, int)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "%s: %r is not a finite number" % (where, value)
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            problem = _json_problem(item, "%s[%d]" % (where, index), depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return "%s: key %r is not a string" % (where, key)
            problem = _json_problem(item, "%s[%r]" % (where, key), depth + 1)
            if problem:
                return problem
        return None
    return "%s: a %s is not JSON-safe" % (where, type(value).__name__)


def _package_files(module_name):
    if not module_name:
        return []
    top = module_name.split(".")[0]
    files = set()
    for name, module in list(sys.modules.items()):
        if name == top or name.startswith(top + "."):
            path = getattr(module, "__file__", None)
            if isinstance(path, str) and os.path.isfile(path):
                files.add(os.path.abspath(path))
    return sorted(files)


def _traceback_files(error):
    import sysconfig
    import traceback
    stdlib = sysconfig.get_paths()["stdlib"]
    names = [frame.filename for frame in traceback.extract_tb(error.__traceback__)]
    if isinstance(error, SyntaxError) and error.filename:
        names.append(error.filename)
    return sorted({os.path.abspath(name) for name in names
                   if os.path.isfile(name) and not name.startswith(stdlib + os.sep)})


def load_plugins(params):
    from importlib.metadata import EntryPoint
    report = _reporter(params["report_fd"])
    faulthandler.enable()
    _prepend_sys_path(params["sys_path_prepend"])
    for index, item in enumerate(params["entry_points"]):
        report("begin", index=index)
        module_name = None
        try:
            entry_point = EntryPoint(name=item["name"], value=item["value"], group=params["group"])
            module_name = entry_point.module
            get_plugin = entry_point.load()
            report("imported", index=index, files=_package_files(module_name))
            result = get_plugin()
            if not isinstance(result, dict):
                problem = "get_plugin() returned a %s, expected a dict" % type(result).__name__
            else:
                problem = _json_problem(result, "get_plugin()")
            files = _package_files(module_name)
            if problem:
                report("result", index=index, error=problem, files=files)
            else:
                report("result", index=index, plugin=result, files=files)
        except BaseException as error:
            files = sorted(set(_package_files(module_name)) | set(_traceback_files(error)))
            report("result", index=index, files=files,
                   error="get_plugin() failed: %s: %s" % (_type_name(type(error)), _message(error)))
    return 0


def probe(params):
    report = _reporter(params["report_fd"])
    _prepend_sys_path(params["sys_path_prepend"])
    report("probe", python=_python_facts())
    return 0
