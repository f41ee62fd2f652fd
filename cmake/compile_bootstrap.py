"""Compiles the worker's bootstrap.py into a C++ file: its code object (marshal) and its source.

Compiling ~300 lines of Python took every worker 8 ms; reading the marshalled code object takes
0.1 ms. The marshal format belongs to one Python minor version, so the file also records this
interpreter's bytecode magic number: the worker compiles the source instead when its libpython
has another one.

usage: compile_bootstrap.py BOOTSTRAP_PY OUTPUT_CPP
"""
import importlib.util
import marshal
import sys


def byte_array(name, data):
    rows = []
    for start in range(0, len(data), 20):
        rows.append("    " + ", ".join(str(byte) for byte in data[start:start + 20]) + ",")
    return ("extern const unsigned char %s[] = {\n%s\n};\nextern const std::size_t %s_size = %d;\n"
            % (name, "\n".join(rows), name, len(data)))


def main():
    source_path, output_path = sys.argv[1:3]
    source = open(source_path, encoding="utf-8").read()
    code = compile(source, "<mdivicom bootstrap>", "exec", dont_inherit=True, optimize=0)
    text = ("// Generated from %s by cmake/compile_bootstrap.py; do not edit.\n"
            "#include <cstddef>\n\nnamespace mdivicom::inproc {\n\n" % source_path)
    text += byte_array("k_bootstrap_magic", importlib.util.MAGIC_NUMBER)
    text += byte_array("k_bootstrap_code", marshal.dumps(code))
    text += byte_array("k_bootstrap_source", source.encode("utf-8") + b"\0")
    text += "\n} // namespace mdivicom::inproc\n"
    with open(output_path, "w", encoding="utf-8") as output:
        output.write(text)


if __name__ == "__main__":
    main()
