#!/usr/bin/python3
"""Python's side of the config-hash tests: what the reference computes for a JSON text.

Run it with /usr/bin/python3 only (Debian's 3.11, the interpreter the reference runs on).

  gen_configs.py gen SEED COUNT   COUNT random JSON texts (random nesting, unicode, escapes,
                                  float bit patterns in many formats, huge ints, duplicate keys,
                                  and some mutated into invalid JSON), one line each:
                                  "<hex of UTF-8 text> <hex of canonical UTF-8 or !>"
  gen_configs.py canon            for each line of stdin "x<hex of UTF-8 text>" prints
                                  "<hex of canonical or !> <sha256 hex of canonical or !>"

The canonical form is json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False,
separators=(",", ":")).encode("utf-8"); "!" means Python refuses the text.
"""
import hashlib
import json
import math
import random
import struct
import sys


def canonical(text):
    try:
        value = json.loads(text)
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (ValueError, UnicodeEncodeError, RecursionError):
        return None


CHAR_RANGES = [
    (0x20, 0x7E), (0x20, 0x7E), (0x20, 0x7E),
    (0x00, 0x1F),                      # control characters (escaped when written)
    (0x7F, 0xA0), (0xA1, 0x2FF),       # DEL, C1 controls, Latin
    (0x300, 0x36F),                    # combining marks
    (0x370, 0x3FF), (0x590, 0x6FF),    # Greek, Hebrew, Arabic
    (0x4E00, 0x9FFF),                  # CJK
    (0x1F300, 0x1FAFF),                # emoji
    (0x10000, 0x10FFFF),               # any astral code point
    (0xE000, 0xF8FF),                  # private use
    (0x2028, 0x2029), (0xFEFF, 0xFEFF), (0xFFFD, 0xFFFF),
]
SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f",
                 "/": "\\/"}
NICE_FLOATS = ["0.1", "1e-7", "1e16", "1e22", "5e-324", "1.7976931348623157e308", "-0.0", "100.0", "1E5",
               "1e-5", "2.5e-324", "1e400", "-1e400", "1e-400", "0.30000000000000004", "1e15", "1e-4",
               "123456789012345678901234567890.0", "9007199254740993", "9007199254740993.0", "0.0",
               "1.7976931348623159e308", "2.2250738585072014e-308", "4.9406564584124654e-324", "1e+16"]


def random_char(r):
    low, high = r.choice(CHAR_RANGES)
    return chr(r.randint(low, high))


def random_string(r):
    text = "".join(random_char(r) for _ in range(r.choice([0, 1, 2, 3, 5, 8, 13])))
    if r.random() < 0.003:
        text += chr(r.randint(0xD800, 0xDFFF))  # a lone surrogate, written as an escape
    return text


def hex4(r, code):
    return ("\\u%04x" if r.random() < 0.5 else "\\u%04X") % code


def write_string(r, s):
    out = ['"']
    for ch in s:
        code = ord(ch)
        must = ch in '"\\' or code < 0x20 or 0xD800 <= code <= 0xDFFF
        if not must and r.random() > 0.12:
            out.append(ch)
        elif ch in SHORT_ESCAPES and r.random() < 0.6:
            out.append(SHORT_ESCAPES[ch])
        elif code > 0xFFFF:
            code -= 0x10000
            out.append(hex4(r, 0xD800 + (code >> 10)) + hex4(r, 0xDC00 + (code & 0x3FF)))
        else:
            out.append(hex4(r, code))
    out.append('"')
    return "".join(out)


def random_double(r, subnormal=False):
    while True:
        bits = r.getrandbits(64)
        if subnormal:
            bits &= 0x800FFFFFFFFFFFFF
        x = struct.unpack("<d", bits.to_bytes(8, "little"))[0]
        if math.isfinite(x):
            return x


def format_double(r, x):
    k = r.randrange(6)
    if k == 0:
        return repr(x)
    if k == 1:
        return "%.17g" % x
    if k == 2:
        return ("%%.%de" % r.randrange(0, 22)) % x
    if k == 3:
        return ("%%.%dE" % r.randrange(0, 22)) % x
    if k == 4 and 1e-30 < abs(x) < 1e30:
        return ("%%.%df" % r.randrange(0, 40)) % x
    return "%r" % x


def random_number(r):
    k = r.randrange(10)
    if k == 0:
        return str(r.randint(-1000, 1000))
    if k == 1:
        return r.choice(["", "-"]) + str(r.randint(1, 9)) + "".join(r.choice("0123456789") for _ in range(r.randrange(60)))
    if k == 2:
        return r.choice(["-0", "0", "-0.0", "0e0", "-0E-0"])
    if k in (3, 4):
        return format_double(r, random_double(r))
    if k == 5:
        return r.choice(NICE_FLOATS)
    if k == 6:
        digits = lambda n: "".join(r.choice("0123456789") for _ in range(n))
        text = r.choice(["", "-"]) + r.choice(["0", str(r.randint(1, 9)) + digits(r.randrange(25))])
        text += "." + digits(r.randint(1, 30))
        if r.random() < 0.7:
            text += r.choice("eE") + r.choice(["", "+", "-"]) + str(r.randint(0, 400))
        return text
    if k == 7:
        return format_double(r, random_double(r, subnormal=True))
    if k == 8:
        return repr(float(r.randint(-10**20, 10**20)))
    return r.choice(["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])


def space(r):
    return r.choice(["", "", "", "", " ", "\n", "\t", "\r\n  ", "  "])


def random_value(r, depth):
    roll = r.random()
    if depth >= 4 or roll < 0.55:
        kind = r.randrange(6)
        if kind < 2:
            return write_string(r, random_string(r))
        if kind < 4:
            return random_number(r)
        return r.choice(["true", "false", "null"])
    if roll < 0.75:
        return random_object(r, depth + 1)
    items = [random_value(r, depth + 1) for _ in range(r.randrange(5))]
    return "[" + space(r) + ("," + space(r)).join(items) + space(r) + "]"


def random_object(r, depth):
    keys = []
    members = []
    for _ in range(r.randrange(6)):
        key = r.choice(keys) if keys and r.random() < 0.1 else random_string(r)
        keys.append(key)
        members.append(write_string(r, key) + space(r) + ":" + space(r) + random_value(r, depth))
    return "{" + space(r) + ("," + space(r)).join(members) + space(r) + "}"


def mutate(r, text):
    at = r.randrange(len(text) + 1)
    k = r.randrange(3)
    if k == 0:
        return text[:at] + text[at + 1:]
    if k == 1:
        return text[:at] + r.choice('{}[],:"\\ 0123456789-+.eEaNIu') + text[at:]
    return text[:at]


def generate(seed, count):
    r = random.Random(seed)
    out = []
    for _ in range(count):
        text = space(r) + (random_object(r, 0) if r.random() < 0.8 else random_value(r, 0)) + space(r)
        if r.random() < 0.15:
            text = mutate(r, text)
        expected = canonical(text)
        out.append(text.encode("utf-8").hex() + " " + (expected.hex() if expected is not None else "!"))
    sys.stdout.write("\n".join(out) + "\n")


def canon_stdin():
    out = []
    for line in sys.stdin.read().splitlines():
        try:
            expected = canonical(bytes.fromhex(line[1:]).decode("utf-8"))
        except UnicodeDecodeError:
            expected = None
        if expected is None:
            out.append("! !")
        else:
            out.append(expected.hex() + " " + hashlib.sha256(expected).hexdigest())
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "gen":
        generate(int(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) == 2 and sys.argv[1] == "canon":
        canon_stdin()
    else:
        sys.exit(__doc__)
