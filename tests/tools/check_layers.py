#!/usr/bin/python3
"""Fails when a source file under src/ includes across the layers of ARCHITECTURE.md.

  check_layers.py SRC_DIR      check the tree; prints file:line: why, exits 1 on any
  check_layers.py --self-test  build a small tree that breaks every rule and check each is caught
"""
import os
import re
import sys
import tempfile

# src/core/<folder>: a folder includes only its own files and those of folders of a lower rank.
CORE_RANKS = {
    'util': 0,
    'hash': 1, 'archive': 1, 'json': 1,
    'plugins': 2, 'config': 2, 'dataset': 2, 'resultbundle': 2, 'records': 2,
    'run': 3,
    'batch': 4,
}
# Files built into mdivicom-python-worker, which links nothing of core.
WORKER_DIRS = ('lanes/inproc/python/', 'lanes/inproc/sandbox/')
# The few helpers of core/util/ that the worker shares instead of keeping a copy of its own:
# standalone files (system headers only, or each other), compiled into the worker as well.
WORKER_SHARED = ('core/util/unique_fd.hpp', 'core/util/fd_write.hpp', 'core/util/fd_write.cpp')
WORKER_MAY_INCLUDE = ('lanes/inproc/python/', 'lanes/inproc/sandbox/', 'build_info.hpp') + WORKER_SHARED
# One C library, one wrapper file (or the few a library's seam needs).
C_HEADERS = {
    r'curl/': ('lanes/container/engine/curl_transport.cpp',),
    r'archive\.h|archive_entry\.h': ('core/archive/libarchive.cpp',),
    r'openssl/': ('core/hash/openssl_sha256.cpp',),
    r'Python\.h': ('lanes/inproc/python/embedded_python.cpp',),
    r'toml\+\+/': ('lanes/inproc/discovery/toml_strings.cpp',),
    r'valijson/': ('core/json/schema.cpp', 'core/json/valijson_seams.hpp'),
    r're2/': ('core/json/pattern.cpp',),
    r'CLI/': tuple(),  # checked by prefix below: cli/ only
}
# Headers for one file only: valijson's explicit specializations must be seen by the one file
# that uses valijson, before it does.
PRIVATE_HEADERS = {'core/json/valijson_seams.hpp': 'core/json/schema.cpp'}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def layer_errors(rel, target, quoted):
    """Why `rel` (a path under src/) may not include `target`, or None."""
    if not quoted:
        for pattern, owners in C_HEADERS.items():
            if re.match(pattern, target):
                if pattern == 'CLI/':
                    return None if rel.startswith('cli/') else 'CLI11 is used by src/cli/ only'
                if rel not in owners:
                    return f'<{target}> belongs to {" ".join(owners)} only (one C library, one wrapper file)'
        return None
    if target in PRIVATE_HEADERS and rel != PRIVATE_HEADERS[target]:
        return f'{target} is included by {PRIVATE_HEADERS[target]} only'
    if '/' not in target:
        return None  # generated headers (build_info.hpp, embedded schemas)
    if rel in WORKER_SHARED:
        if target not in WORKER_SHARED:
            return 'shared with the Python worker program, which links nothing of core: it may include only ' + \
                   'system headers and ' + ' '.join(WORKER_SHARED)
        return None
    if rel.startswith(WORKER_DIRS):
        if not target.startswith(WORKER_MAY_INCLUDE):
            return 'the Python worker program links nothing of core or the lane: it may include only ' + \
                   ' '.join(WORKER_MAY_INCLUDE)
        return None
    if rel == 'main.cpp':
        return None if target.startswith('cli/') else 'main.cpp only wires the command line (cli/)'
    if rel.startswith('core/'):
        if not target.startswith('core/'):
            return 'core includes neither a lane nor the command line'
        mine, theirs = rel.split('/')[1], target.split('/')[1]
        for folder in (mine, theirs):
            if folder not in CORE_RANKS:
                return f'src/core/{folder}/ has no layer: add it to CORE_RANKS here and to ARCHITECTURE.md'
        if theirs != mine and CORE_RANKS[theirs] >= CORE_RANKS[mine]:
            return f'core/{mine}/ (layer {CORE_RANKS[mine]}) may include only folders of a lower layer, ' \
                   f'not core/{theirs}/ (layer {CORE_RANKS[theirs]})'
        return None
    if rel.startswith('lanes/'):
        lane = rel.split('/')[1]
        if target.startswith('cli/'):
            return 'a lane does not include the command line'
        if target.startswith('lanes/') and target.split('/')[1] != lane:
            return f'the {lane} lane does not include another lane'
        return None
    return None


def check(src):
    errors = []
    for root, _, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith(('.cpp', '.hpp')):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src).replace(os.sep, '/')
            if rel.startswith('core/') and rel.count('/') == 1:
                errors.append(f'src/{rel}: a core file belongs in one of the folders of core ({", ".join(CORE_RANKS)})')
            with open(path, encoding='utf-8') as f:
                for number, line in enumerate(f, 1):
                    match = INCLUDE.match(line)
                    if not match:
                        continue
                    why = layer_errors(rel, match.group(2), match.group(1) == '"')
                    if why:
                        errors.append(f'src/{rel}:{number}: includes {match.group(2)}: {why}')
    return errors


def self_test():
    broken = {
        'core/util/a.hpp': '#include "core/hash/sha256.hpp"\n',
        'core/json/b.cpp': '#include "core/json/text.hpp"\n#include "core/plugins/plugin.hpp"\n',
        'core/records/c.cpp': '#include "core/dataset/archive.hpp"\n',
        'core/run/d.cpp': '#include "lanes/inproc/inproc.hpp"\n#include "core/util/error.hpp"\n',
        'core/stray.cpp': '',
        'core/newfolder/e.cpp': '#include "core/util/error.hpp"\n',
        'lanes/container/f.cpp': '#include "lanes/inproc/inproc.hpp"\n#include "core/run/run.hpp"\n',
        'lanes/inproc/g.cpp': '#include "cli/app.hpp"\n',
        'lanes/inproc/sandbox/h.cpp': '#include "core/util/error.hpp"\n#include "core/util/fd_write.hpp"\n',
        'core/util/unique_fd.hpp': '#include <unistd.h>\n#include "core/util/error.hpp"\n',
        'core/run/i.cpp': '#include <curl/curl.h>\n#include <nlohmann/json.hpp>\n',
        'main.cpp': '#include "core/run/run.hpp"\n',
        'core/json/j.cpp': '#include "core/json/valijson_seams.hpp"\n',
    }
    expected = ['core/util/a.hpp:1', 'core/json/b.cpp:2', 'core/records/c.cpp:1', 'core/run/d.cpp:1',
                'core/stray.cpp:', 'core/newfolder/e.cpp:1', 'lanes/container/f.cpp:1', 'lanes/inproc/g.cpp:1',
                'lanes/inproc/sandbox/h.cpp:1', 'core/util/unique_fd.hpp:2', 'core/run/i.cpp:1', 'main.cpp:1',
                'core/json/j.cpp:1']
    with tempfile.TemporaryDirectory() as src:
        for rel, text in broken.items():
            os.makedirs(os.path.dirname(os.path.join(src, rel)), exist_ok=True)
            with open(os.path.join(src, rel), 'w', encoding='utf-8') as f:
                f.write(text)
        errors = check(src)
    found = [e.split(' ')[0] for e in errors]
    missing = [e for e in expected if not any(f.startswith('src/' + e) for f in found)]
    extra = [f for f in found if not any(f.startswith('src/' + e) for e in expected)]
    for line in missing:
        print(f'self-test: not caught: {line}')
    for line in extra:
        print(f'self-test: caught, but allowed: {line}')
    return 1 if missing or extra else 0


def main(argv):
    if argv[1:] == ['--self-test']:
        return self_test()
    if len(argv) != 2:
        print(__doc__)
        return 2
    errors = check(argv[1])
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
