#!/usr/bin/python3
"""Regenerates the example openSIDS-style dataset next to this script.

One session (ses-01) of 2 s with four streams, each real data in a common format:
  video  str-cam01   a 32x24 raw YUV 4:2:0 video at 10 fps (.y4m, 20 frames)
  audio  str-mic01   16 kHz mono 16-bit PCM (.wav), a 440 Hz tone with a 0.1 s click track
  gaze   str-eye01   120 Hz gaze samples (.csv): timestamp_s, x_px, y_px, pupil_mm
  imu    str-imu01   200 Hz accelerometer/gyroscope samples (.tsv)
Each stream has <stream>_stream.yaml declaring its timebase; derived/annotations/events.tsv
holds a few hand-made events. The output is deterministic, so
re-running it reproduces the committed files byte for byte. Standard library only.
"""

import math
import os
import random
import struct
import wave

ROOT = os.path.dirname(os.path.abspath(__file__))
SESSION = os.path.join(ROOT, "sessions", "ses-01")
DURATION_S = 2.0


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def stream_dir(kind, stream):
    return os.path.join(SESSION, "raw", kind, stream)


def stream_yaml(kind, stream, rate_hz, data_file, extra=""):
    write(os.path.join(stream_dir(kind, stream), stream + "_stream.yaml"),
          f"stream_id: {stream}\n"
          f"type: {kind}\n"
          f"data_file: {data_file}\n"
          f"timebase:\n"
          f"  kind: t_session\n"
          f"  unit: s\n"
          f"  offset_s: 0.0\n"
          f"  nominal_rate_hz: {rate_hz}\n"
          f"{extra}")


def make_video():
    width, height, fps, frames = 32, 24, 10, int(DURATION_S * 10)
    path = os.path.join(stream_dir("video", "str-cam01"), "str-cam01.y4m")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for n in range(frames):
            f.write(b"FRAME\n")
            # A bright bar sweeping left to right over a gradient.
            bar = n * width // frames
            luma = bytes(255 if abs(x - bar) < 2 else (x * 4 + y * 2) % 200
                         for y in range(height) for x in range(width))
            chroma = bytes([128]) * ((width // 2) * (height // 2))
            f.write(luma + chroma + chroma)
    stream_yaml("video", "str-cam01", fps, "str-cam01.y4m",
                f"video:\n  width: {width}\n  height: {height}\n  pixel_format: yuv420p\n")


def make_audio():
    rate = 16000
    path = os.path.join(stream_dir("audio", "str-mic01"), "str-mic01.wav")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    samples = []
    for i in range(int(DURATION_S * rate)):
        t = i / rate
        value = 0.3 * math.sin(2 * math.pi * 440 * t)
        if (i % (rate // 10)) < 16:
            value += 0.5  # a click every 0.1 s, for sync tests
        samples.append(int(max(-1.0, min(1.0, value)) * 32767))
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack("<%dh" % len(samples), *samples))
    stream_yaml("audio", "str-mic01", rate, "str-mic01.wav", "audio:\n  channels: 1\n  sample_format: s16le\n")


def make_gaze(rng):
    rate = 120
    lines = ["timestamp_s,x_px,y_px,pupil_mm"]
    for i in range(int(DURATION_S * rate)):
        t = i / rate
        x = 320 + 120 * math.sin(2 * math.pi * 0.5 * t) + rng.gauss(0, 2)
        y = 240 + 80 * math.cos(2 * math.pi * 0.5 * t) + rng.gauss(0, 2)
        lines.append(f"{t:.6f},{x:.2f},{y:.2f},{3.2 + rng.gauss(0, 0.05):.3f}")
    write(os.path.join(stream_dir("gaze", "str-eye01"), "str-eye01_gaze.csv"), "\n".join(lines) + "\n")
    stream_yaml("gaze", "str-eye01", rate, "str-eye01_gaze.csv", "gaze:\n  screen_px: [640, 480]\n")


def make_imu(rng):
    rate = 200
    lines = ["timestamp_s\tacc_x\tacc_y\tacc_z\tgyr_x\tgyr_y\tgyr_z"]
    for i in range(int(DURATION_S * rate)):
        t = i / rate
        acc = (rng.gauss(0, 0.02), rng.gauss(0, 0.02), 9.81 + 0.2 * math.sin(2 * math.pi * t))
        gyr = (0.1 * math.sin(2 * math.pi * 0.25 * t), rng.gauss(0, 0.01), rng.gauss(0, 0.01))
        lines.append("\t".join([f"{t:.6f}"] + [f"{v:.5f}" for v in acc + gyr]))
    write(os.path.join(stream_dir("imu", "str-imu01"), "str-imu01_imu.tsv"), "\n".join(lines) + "\n")
    stream_yaml("imu", "str-imu01", rate, "str-imu01_imu.tsv", "imu:\n  acc_unit: m/s^2\n  gyr_unit: rad/s\n")


def make_annotations():
    rows = ["onset\tduration\ttier\tlabel",
            "0.100\t0.400\tspeech\tgreeting",
            "0.750\t0.500\tgaze\tfixation_screen",
            "1.300\t0.600\tspeech\tquestion"]
    write(os.path.join(SESSION, "derived", "annotations", "events.tsv"), "\n".join(rows) + "\n")


def main():
    rng = random.Random(20240501)
    make_video()
    make_audio()
    make_gaze(rng)
    make_imu(rng)
    make_annotations()
    write(os.path.join(ROOT, "dataset_manifest.yaml"),
          "dataset_id: mdivicom-example\n"
          "opensids_version: \"0.1\"\n"
          "description: One 2 s session with video, audio, gaze and IMU streams, for examples and tests.\n"
          "time_reference:\n"
          "  kind: t_session\n"
          "  unit: s\n"
          "sessions:\n"
          "  - session_id: ses-01\n"
          "    duration_s: 2.0\n"
          "    streams: [str-cam01, str-mic01, str-eye01, str-imu01]\n")


if __name__ == "__main__":
    main()
