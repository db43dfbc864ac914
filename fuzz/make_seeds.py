#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets into fuzz/corpus/<target>/ (standard library only).

A few small valid inputs of each format and a few invalid ones at the edges the readers check: cut short, a
header claiming billions of values, a wrong magic number or dtype, a label out of range. The idx and cifar
targets read their first byte as a mode (odd: the rest is gzip-compressed by the target; even: the rest is passed
as it is), so their seeds start with one.

Run from anywhere: python3 fuzz/make_seeds.py. It replaces the files it writes and leaves others alone.
"""

import gzip
import json
import math
import struct
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
REPO = FUZZ.parent
RAW, GZ_WRAP = b"\x00", b"\x01"


def write(target, name, data):
    directory = FUZZ / "corpus" / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)


def gz(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


# --- IDX (MNIST): magic 0x0803 images [n, rows, cols], 0x0801 labels [n], big-endian u32s.
def idx_images(n, rows, cols, pixels):
    return struct.pack(">IIII", 0x0803, n, rows, cols) + bytes(pixels)


def idx_labels(labels):
    return struct.pack(">II", 0x0801, len(labels)) + bytes(labels)


images = idx_images(2, 5, 5, [(7 * i) % 256 for i in range(50)])
labels = idx_labels([3, 1, 4])
for name, data in {
    "images-2x5x5": RAW + images,
    "images-2x5x5-gzip-by-target": GZ_WRAP + images,
    "images-2x5x5-gzip-file": RAW + gz(images),
    "images-2x5x5-two-gzip-members": RAW + gz(images[:20]) + gz(images[20:]),
    "labels-3": RAW + labels,
    "labels-3-gzip-by-target": GZ_WRAP + labels,
    "labels-3-gzip-file": RAW + gz(labels),
    "images-4-billion": RAW + struct.pack(">IIII", 0x0803, 0xFFFFFFFF, 28, 28),
    "images-4-billion-gzip-by-target": GZ_WRAP + struct.pack(">IIII", 0x0803, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF),
    "labels-4-billion": RAW + struct.pack(">II", 0x0801, 0xFFFFFFFF),
    "images-cut-short": RAW + images[:30],
    "images-trailing-byte": RAW + images + b"\x00",
    "images-bad-magic": RAW + struct.pack(">I", 0x0903) + images[4:],
    "gzip-cut-short": RAW + gz(images)[:-6],
    "gzip-huge-size-trailer": RAW + gz(labels)[:-4] + struct.pack("<I", 0xFFFFFFFF),
    "empty": b"",
}.items():
    write("idx", name, data)


# --- CIFAR-10: 3073-byte records, a label byte in 0..10 then 3 planes of 32 x 32.
def record(label, seed):
    return bytes([label]) + bytes((seed + 31 * i) % 256 for i in range(3072))


one = record(3, 0)
for name, data in {
    "one-record": RAW + one,
    "one-record-gzip-by-target": GZ_WRAP + one,
    "one-record-gzip-file": RAW + gz(one),
    "two-records-gzip-by-target": GZ_WRAP + one + record(9, 5),
    "label-11": RAW + record(11, 1),
    "ragged-length": RAW + one + b"\x00" * 5,
    "gzip-cut-short": RAW + gz(one)[:-6],
    "empty": b"",
}.items():
    write("cifar", name, data)


# --- safetensors: u64 LE header length, JSON header (tensors by name, optional __metadata__), raw data.
def safetensors(tensors, metadata=None):
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def floats(fmt, values):
    return b"".join(struct.pack("<" + fmt, v) for v in values)


def f32(values):
    return floats("f", values)


def f64(values):
    return floats("d", values)


def ramp(n, scale=0.1):
    return [scale * (i - n / 2) for i in range(n)]


# The fuzz target's model, mlp:4-3-2:tanh: 0.weight [3, 4], 0.bias [3], 1.weight [2, 3], 1.bias [2].
MLP = [("0.weight", [3, 4]), ("0.bias", [3]), ("1.weight", [2, 3]), ("1.bias", [2])]


def params(pack, dtype, prefix=""):
    return [(prefix + n, (dtype, s, pack(ramp(math.prod(s))))) for n, s in MLP]


x = ("F32", [2, 4], f32(ramp(8)))
labels_i64 = ("I64", [2], struct.pack("<qq", 1, 0))
for name, data in {
    "params-f32": safetensors(params(f32, "F32")),
    "params-f64": safetensors(params(f64, "F64")),
    "params-wrong-shape": safetensors([(n, (d, s[::-1], raw)) for n, (d, s, raw) in params(f32, "F32")]),
    "params-missing-bias": safetensors(params(f32, "F32")[:3]),
    "params-i64-dtype": safetensors(params(f32, "F32")[:3] + [("1.bias", ("I64", [2], struct.pack("<qq", 1, 2)))]),
    "batch-f32-i64": safetensors([("x", x), ("y", labels_i64)]),
    "batch-f64-u8": safetensors([("x", ("F64", [1, 4], f64(ramp(4)))), ("y", ("U8", [1], b"\x01"))]),
    "batch-i32-label-out-of-range": safetensors([("x", x), ("y", ("I32", [2], struct.pack("<ii", 0, 7)))]),
    "batch-zero-samples": safetensors([("x", ("F32", [0, 4], b"")), ("y", ("I64", [0], b""))]),
    "batch-huge-empty-shape": safetensors([("x", ("F32", [0, 2**62, 2**62], b"")), ("y", ("I64", [0], b""))]),
    "header-too-large": struct.pack("<Q", 2**63) + b"{}",
    "cut-short": safetensors(params(f32, "F32"))[:-5],
    "empty": b"",
}.items():
    write("safetensors", name, data)


# --- checkpoints: safetensors with param/{name} tensors, state/{name} (F64) and JSON metadata under "jetnewton".
def checkpoint(dtype, pack, fmt=1):
    meta = {
        "format": fmt,
        "model": "mlp:4-3-2:tanh",
        "dtype": dtype,
        "optimizer": "adam",
        "optimizer_scalars": {"lr": 0.1, "step": 7.0},
        "samplers": [{"seed": 1, "epoch": 2, "position": 30, "dataset_len": 100, "batch_size": 10}],
        "progress": {
            "step": 23,
            "wall_s": 1.0 / 3.0,
            "eta_sum": [0.1, 1e-17],
            "eta_count": 3,
            "running_loss": 0.5,
            "rejections": 0,
            "accepted_run": 4,
            "steps_len": 1000,
            "epochs_len": 100,
        },
    }
    state = ("state/exp_avg/0.bias", ("F64", [3], f64([1e-300, -3.5, 0.0])))
    tensors = params(pack, dtype.upper(), prefix="param/") + [state]
    return safetensors(tensors, {"jetnewton": json.dumps(meta)})


valid = checkpoint("f32", f32)
for name, data in {
    "checkpoint-f32": valid,
    "checkpoint-f64": checkpoint("f64", f64),
    "checkpoint-format-2": checkpoint("f32", f32, fmt=2),
    "no-metadata": safetensors(params(f32, "F32")),
    "cut-short": valid[: len(valid) // 2],
    "empty": b"",
}.items():
    write("checkpoint", name, data)


# --- configs: a few of the experiments as they are, then edge cases.
EXPERIMENTS = [
    "mlp-mnist/newton",
    "mlp-mnist/kfac",
    "deep-mlp/adam-small",
    "partitions/blocks-2",
    "vgg-cifar10/newton-diag",
]
for experiment in EXPERIMENTS:
    text = (REPO / "experiments" / (experiment + ".toml")).read_bytes()
    write("config", experiment.replace("/", "-") + ".toml", text)
for name, text in {
    "empty.toml": "",
    "unknown-key.toml": 'model = "mlp:4-3-2:tanh"\nmomentum = 0.9\n',
    "wrong-type.toml": 'epochs = "ten"\n',
    "zero-batch.toml": 'batch_size = 0\nsteps = 0\n',
    "huge-integer.toml": "epochs = 99999999999999999999999\nseed = -1\n",
    "nan-and-inf.toml": "validation_fraction = nan\n[guard]\nshrink = inf\nblowup_factor = -0.0\n",
    "sections.toml": "[newton]\nlr = 1e-3\nperiod = 0\n[adam]\n[sgd]\n[kfac]\nt_inv = 1\n"
    "[guard]\nmax_rejections = 0\n",
    "inline-and-dotted.toml": 'newton = { lr = 0.5 }\nguard.shrink = 0.5\n',
    "datetime.toml": "name = 1979-05-27T07:32:00Z\n",
    "nested-arrays.toml": "name = " + "[" * 64 + "]" * 64 + "\n",
    "strings.toml": 'name = """multi\nline"""\ndata_dir = \'C:\\\\raw\'\nmodel = "\\u00e9\\U0001F600"\n',
}.items():
    write("config", name, text.encode())
