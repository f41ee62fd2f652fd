#include "lanes/inproc/bootstrap.hpp"

namespace mdivicom::inproc {

const char* const k_bootstrap_source = R"python(
import faulthandler
import json
import math
import os
import sys
import sysconfig
import traceback


def _reporter(fd):
    def report(event, **fields):
        fields["event"] = event
        text = json.dumps(fields, ensure_ascii=False, default=repr) + "\n"
        # Lone surrogates (undecodable file names) cannot be UTF-8; the parent needs valid JSON.
        data = memoryview(text.encode("utf-8", "replace"))
        while data:
            written = os.write(fd, data)
            data = data[written:]
    return report


def _type_name(error_type):
    module = getattr(error_type, "__module__", "builtins")
    name = getattr(error_type, "__qualname__", error_type.__name__)
    return name if module in ("builtins", "__main__") else module + "." + name


def _message(error):
    try:
        return str(error)
    except BaseException:
        return "<unprintable %s>" % type(error).__name__


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


def _prepend_sys_path(entries):
    for entry in reversed(entries):
        if entry in sys.path:
            sys.path.remove(entry)
        sys.path.insert(0, entry)


def _resolve(ref):
    import importlib
    module_name, _, attr_path = ref.partition(":")
    module = importlib.import_module(module_name.strip())
    target = module
    if attr_path.strip():
        for part in attr_path.strip().split("."):
            target = getattr(target, part)
    return module, target


def _setup_logging():
    import logging
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)


def run_plugin(params_json):
    params = json.loads(params_json)
    report = _reporter(params["report_fd"])
    try:
        faulthandler.enable()
        _prepend_sys_path(params["sys_path_prepend"])
        report("started", python=_python_facts(), pid=os.getpid())
        module, target = _resolve(params["callable"])
        report("imported", module=module.__name__, module_file=getattr(module, "__file__", None))
        kwargs = dict(params["kwargs"])
        # Python's own parser: big integers and floats arrive exactly as written.
        kwargs["config"] = json.loads(params["config_text"])
        _setup_logging()
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
               traceback=traceback.format_exc())
        return (int(code) & 0xFF) or 1
    except BaseException as error:
        text = traceback.format_exc()
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
    stdlib = sysconfig.get_paths()["stdlib"]
    files = set()
    frames = traceback.extract_tb(error.__traceback__)
    names = [frame.filename for frame in frames]
    if isinstance(error, SyntaxError) and error.filename:
        names.append(error.filename)
    for name in names:
        if os.path.isfile(name) and not name.startswith(stdlib + os.sep):
            files.add(os.path.abspath(name))
    return sorted(files)


def load_plugins(params_json):
    from importlib.metadata import EntryPoint
    params = json.loads(params_json)
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


def probe(params_json):
    params = json.loads(params_json)
    report = _reporter(params["report_fd"])
    _prepend_sys_path(params["sys_path_prepend"])
    report("probe", python=_python_facts())
    return 0
)python";

} // namespace mdivicom::inproc
