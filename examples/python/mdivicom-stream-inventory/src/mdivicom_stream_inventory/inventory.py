"""The run function: walks <dataset>/sessions/*/raw/<type>/<stream>/ and measures each file."""

import csv
import datetime
import hashlib
import json
import logging
import os
import platform
import wave

from . import STREAM_TYPES, __version__

log = logging.getLogger("mdivicom_stream_inventory")

COLUMNS = ["session", "stream_type", "stream_id", "file", "format", "bytes",
           "samples", "rate_hz", "start_s", "end_s", "duration_s"]

# Bytes per pixel of a y4m frame, by colour space (C tag); 4:2:0 is the default.
Y4M_FRAME_FACTOR = {"420": 1.5, "420jpeg": 1.5, "420paldv": 1.5, "420mpeg2": 1.5,
                    "422": 2.0, "444": 3.0, "mono": 1.0}


def read_stream_yaml(path):
    """The flat and one-level nested 'key: value' pairs of a <stream>_stream.yaml."""
    values, parent = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.lstrip().startswith("#") or ":" not in line:
                continue
            key, _, value = line.partition(":")
            value = value.strip()
            if not line.startswith((" ", "\t")):
                parent = key.strip() if not value else None
                if value:
                    values[key.strip()] = value
            elif parent:
                values[parent + "." + key.strip()] = value
    return values


def measure_wav(path):
    with wave.open(path, "rb") as w:
        frames, rate = w.getnframes(), w.getframerate()
    return {"samples": frames, "rate_hz": rate, "duration_s": frames / rate}


def measure_y4m(path):
    with open(path, "rb") as f:
        header = f.readline().decode("ascii").split()
        if not header or header[0] != "YUV4MPEG2":
            raise ValueError("%s: not a YUV4MPEG2 file" % path)
        tags = {token[0]: token[1:] for token in header[1:]}
        width, height = int(tags["W"]), int(tags["H"])
        num, den = (int(part) for part in tags.get("F", "25:1").split(":"))
        colour = tags.get("C", "420")
        factor = Y4M_FRAME_FACTOR.get(colour) or Y4M_FRAME_FACTOR.get(colour[:3])
        if factor is None or "p1" in colour:
            raise ValueError("%s: colour space C%s is not supported (8-bit 420/422/444/mono are)" % (path, colour))
        frame_bytes = int(width * height * factor)
        frames = 0
        while True:
            marker = f.readline()
            if not marker:
                break
            if not marker.startswith(b"FRAME"):
                raise ValueError("%s: frame %d has no FRAME marker" % (path, frames))
            if len(f.read(frame_bytes)) != frame_bytes:
                raise ValueError("%s: frame %d is truncated" % (path, frames))
            frames += 1
    return {"samples": frames, "rate_hz": num / den, "duration_s": frames * den / num}


def measure_table(path, delimiter):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f, delimiter=delimiter)
        header = next(reader)
        time_columns = [i for i, name in enumerate(header)
                        if name.lower().startswith(("timestamp", "onset")) or name.lower() in ("t", "time")]
        if not time_columns:
            raise ValueError("%s: no timestamp column in %s" % (path, header))
        column = time_columns[0]
        first = last = None
        rows = 0
        for row in reader:
            if not row:
                continue
            value = float(row[column])
            first = value if first is None else first
            last = value
            rows += 1
    if rows == 0:
        return {"samples": 0, "rate_hz": None, "start_s": None, "end_s": None, "duration_s": 0.0}
    rate = round((rows - 1) / (last - first), 3) if rows > 1 and last > first else None
    return {"samples": rows, "rate_hz": rate, "start_s": first, "end_s": last, "duration_s": round(last - first, 9)}


def measure(path):
    extension = os.path.splitext(path)[1].lower()
    if extension == ".wav":
        return "wav", measure_wav(path)
    if extension == ".y4m":
        return "y4m", measure_y4m(path)
    if extension in (".csv", ".tsv"):
        return extension[1:], measure_table(path, "," if extension == ".csv" else "\t")
    return extension.lstrip(".") or "unknown", {}


def plan(dataset_dir, include):
    """(session, stream type, stream dir, data file) for every raw data file, sorted."""
    sessions_dir = os.path.join(dataset_dir, "sessions")
    if not os.path.isdir(sessions_dir):
        raise FileNotFoundError("%s has no sessions/ directory; is it an openSIDS dataset?" % dataset_dir)
    found = []
    for session in sorted(os.listdir(sessions_dir)):
        for stream_type in include:
            type_dir = os.path.join(sessions_dir, session, "raw", stream_type)
            if not os.path.isdir(type_dir):
                continue
            for stream in sorted(os.listdir(type_dir)):
                stream_dir = os.path.join(type_dir, stream)
                for name in sorted(os.listdir(stream_dir)):
                    if name.endswith("_stream.yaml") or not os.path.isfile(os.path.join(stream_dir, name)):
                        continue
                    found.append((session, stream_type, stream_dir, name))
    return found


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_entry(path, root):
    return {"path": os.path.relpath(path, root), "bytes": os.path.getsize(path), "sha256": sha256(path)}


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")


def run(dataset_dir, out_dir, config, *, work_dir=None, dry_run=False, **kwargs):
    include = list(config.get("include", STREAM_TYPES))
    unknown = sorted(set(include) - set(STREAM_TYPES))
    if unknown:
        raise ValueError("config.include has unknown stream types %s; known: %s" % (unknown, STREAM_TYPES))
    files = plan(dataset_dir, include)
    log.info("%d stream files in %s (types: %s)", len(files), dataset_dir, ", ".join(include))
    provenance = {
        "plugin": {"id": "stream-inventory", "publisher": "mdivicom-examples", "version": __version__},
        "created_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "dataset_dir": dataset_dir,
        "config": config,
        "dry_run": bool(dry_run),
        "python": platform.python_version(),
    }
    os.makedirs(out_dir, exist_ok=True)
    if dry_run:
        # The contract's dry run: plan and report, produce nothing but the provenance record.
        provenance["planned_outputs"] = ["inventory.csv", "resultbundle.json"]
        provenance["planned_inputs"] = [os.path.relpath(os.path.join(d, n), dataset_dir) for _, _, d, n in files]
        write_json(os.path.join(out_dir, "provenance.json"), provenance)
        log.info("dry run: would write inventory.csv with %d rows", len(files))
        return

    inventory_path = os.path.join(out_dir, "inventory.csv")
    with open(inventory_path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for session, stream_type, stream_dir, name in files:
            path = os.path.join(stream_dir, name)
            stream_id = os.path.basename(stream_dir)
            timebase = {}
            yaml_path = os.path.join(stream_dir, stream_id + "_stream.yaml")
            if os.path.isfile(yaml_path):
                timebase = read_stream_yaml(yaml_path)
            file_format, measured = measure(path)
            offset = float(timebase.get("timebase.offset_s", 0.0))
            row = {"session": session, "stream_type": stream_type, "stream_id": stream_id,
                   "file": os.path.relpath(path, dataset_dir), "format": file_format,
                   "bytes": os.path.getsize(path)}
            row.update(measured)
            if "duration_s" in measured and measured.get("start_s") is None and measured["samples"]:
                row["start_s"] = offset
                row["end_s"] = offset + measured["duration_s"]
            writer.writerow({key: ("" if row.get(key) is None else row.get(key)) for key in COLUMNS})
            log.info("%s %s: %s, %s s", session, stream_id, name, row.get("duration_s", "?"))

    write_json(os.path.join(out_dir, "resultbundle.json"), {
        "resultbundle_type": "mdivicom.stream_inventory",
        "schema_version": "0.1.0",
        "created_at": provenance["created_at"],
        "producer": {"tool_ref": "mdivicom-examples/stream-inventory", "tool_version": __version__},
        "time_reference": {"kind": "t_session", "unit": "s"},
        "files": [{"path": "inventory.csv", "role": "inventory", "format": "csv", "required": True,
                   "key_columns": {"stream_id": "stream_id", "start": "start_s", "end": "end_s"},
                   "time": {"kind": "interval", "start_key": "start_s", "end_key": "end_s"}}],
    })
    provenance["inputs"] = [file_entry(os.path.join(d, n), dataset_dir) for _, _, d, n in files]
    provenance["outputs"] = [file_entry(os.path.join(out_dir, name), out_dir)
                             for name in ("inventory.csv", "resultbundle.json")]
    write_json(os.path.join(out_dir, "provenance.json"), provenance)
    print("wrote %s (%d streams)" % (inventory_path, len(files)))
