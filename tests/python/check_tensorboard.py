"""ganflow's TensorBoard event files read as TensorBoard reads them: TFRecord framing whose
masked CRC-32Cs python3-crc32c confirms, Event protobufs decoded by the protobuf library (the
messages declared here with event.proto's and summary.proto's field numbers), the file version
first, every step and epoch value of metrics.jsonl as a float32 scalar at its step, and each
epoch's sample grid as a PNG image whose pixels (decoded by PIL) equal samples/epoch_NNN.png's,
and each epoch's weight histograms (<stage>/<role>/<parameter>), the last of which equal, bin
by bin, the histograms numpy computes from the final <stage>_<role>.pt that python3-torch loads.
With RESUMED_AFTER (a run killed after its checkpoint at that step and resumed): two files, the
later one marking a SessionLog START at RESUMED_AFTER + 1 before its first value, and the values
compared after TensorBoard's purge (a START drops the earlier points at or past its step).
Usage: check_tensorboard.py RUN_DIR STAGE [RESUMED_AFTER]"""
import glob
import io
import json
import math
import os
import struct
import sys

import crc32c
import numpy as np
from google.protobuf import descriptor_pb2, message_factory
from PIL import Image

from common import Checker


def event_class():
    f = descriptor_pb2.FileDescriptorProto(name="tb_check_event.proto", package="tbcheck", syntax="proto3")
    T = descriptor_pb2.FieldDescriptorProto
    summary = f.message_type.add(name="Summary")
    value = summary.nested_type.add(name="Value")
    value.field.add(name="tag", number=1, type=T.TYPE_STRING, label=T.LABEL_OPTIONAL)
    value.field.add(name="simple_value", number=2, type=T.TYPE_FLOAT, label=T.LABEL_OPTIONAL)
    image = summary.nested_type.add(name="Image")
    image.field.add(name="height", number=1, type=T.TYPE_INT32, label=T.LABEL_OPTIONAL)
    image.field.add(name="width", number=2, type=T.TYPE_INT32, label=T.LABEL_OPTIONAL)
    image.field.add(name="colorspace", number=3, type=T.TYPE_INT32, label=T.LABEL_OPTIONAL)
    image.field.add(name="encoded_image_string", number=4, type=T.TYPE_BYTES, label=T.LABEL_OPTIONAL)
    value.field.add(name="image", number=4, type=T.TYPE_MESSAGE, label=T.LABEL_OPTIONAL, type_name=".tbcheck.Summary.Image")
    histo = f.message_type.add(name="HistogramProto")
    for number, name in enumerate(("min", "max", "num", "sum", "sum_squares"), start=1):
        histo.field.add(name=name, number=number, type=T.TYPE_DOUBLE, label=T.LABEL_OPTIONAL)
    histo.field.add(name="bucket_limit", number=6, type=T.TYPE_DOUBLE, label=T.LABEL_REPEATED)
    histo.field.add(name="bucket", number=7, type=T.TYPE_DOUBLE, label=T.LABEL_REPEATED)
    value.field.add(name="histo", number=5, type=T.TYPE_MESSAGE, label=T.LABEL_OPTIONAL, type_name=".tbcheck.HistogramProto")
    summary.field.add(name="value", number=1, type=T.TYPE_MESSAGE, label=T.LABEL_REPEATED, type_name=".tbcheck.Summary.Value")
    event = f.message_type.add(name="Event")
    event.field.add(name="wall_time", number=1, type=T.TYPE_DOUBLE, label=T.LABEL_OPTIONAL)
    event.field.add(name="step", number=2, type=T.TYPE_INT64, label=T.LABEL_OPTIONAL)
    event.field.add(name="file_version", number=3, type=T.TYPE_STRING, label=T.LABEL_OPTIONAL)
    event.field.add(name="summary", number=5, type=T.TYPE_MESSAGE, label=T.LABEL_OPTIONAL, type_name=".tbcheck.Summary")
    session_log = f.message_type.add(name="SessionLog")
    session_log.field.add(name="status", number=1, type=T.TYPE_INT32, label=T.LABEL_OPTIONAL)  # an enum: START = 1
    event.field.add(name="session_log", number=7, type=T.TYPE_MESSAGE, label=T.LABEL_OPTIONAL,
                    type_name=".tbcheck.SessionLog")
    return message_factory.GetMessages([f])["tbcheck.Event"]


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(path, c):
    data = open(path, "rb").read()
    pos = 0
    while pos < len(data):
        header = data[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        body = data[pos + 12:pos + 12 + length]
        (body_crc,) = struct.unpack("<I", data[pos + 12 + length:pos + 16 + length])
        c.true(f"record at {pos}: the length's CRC", length_crc == masked(crc32c.crc32c(header)))
        c.true(f"record at {pos}: the data's CRC", body_crc == masked(crc32c.crc32c(body)))
        yield body
        pos += 16 + length
    c.true("the file ends at a record's end", pos == len(data))


def expected(run_dir, stage):
    """tag -> {step: float32 value}, and the epoch records' steps in order, from metrics.jsonl's
    records of `stage`."""
    want, epoch_steps = {}, []
    for line in open(os.path.join(run_dir, "metrics.jsonl")):
        r = json.loads(line)
        if r.get("stage") != stage:
            continue
        if r["kind"] == "epoch":
            epoch_steps.append(r["step"])
        prefix = stage if r["kind"] == "step" else stage + "/epoch"
        step = r.get("step", r.get("epoch"))
        for k, v in r.items():
            if k in ("step", "epoch") or isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                continue
            want.setdefault(prefix + "/" + k, {})[step] = np.float32(v)
    return want, epoch_steps


BINS = 30
BUFFERS = ("running_mean", "running_var", "num_batches_tracked")


def histogram(values):
    """ganflow's histogram of a tensor (framework/report/histogram.hpp), recomputed in numpy."""
    x = values.detach().double().numpy().ravel()
    x = x[np.isfinite(x)]
    lo, hi = (x.min() - 0.5, x.max() + 0.5) if x.min() == x.max() else (x.min(), x.max())
    limits = [lo + (hi - lo) * k / BINS for k in range(BINS)] + [hi]
    bins = np.clip(np.floor((x - lo) * BINS / (hi - lo)), 0, BINS - 1).astype(int)
    counts = [0.0] + np.bincount(bins, minlength=BINS).astype(float).tolist()
    return x.min(), x.max(), float(x.size), x.sum(), x.dot(x), limits, counts


def check_histograms(c, run_dir, stage, histos, epoch_steps):
    """One histogram per parameter of each final <stage>_<role>.pt per epoch, at the epoch's last
    step; the last epoch's equal to the file's."""
    import torch
    by_tag = {}
    for tag, step, h in histos:
        by_tag.setdefault(tag, []).append((step, h))
    compared = 0
    for role in ("generator", "critic", "model"):
        path = os.path.join(run_dir, f"{stage}_{role}.pt")
        if not os.path.exists(path):
            continue
        weights = torch.load(path, weights_only=True)
        params = {k: v for k, v in weights.items() if v.is_floating_point() and not k.endswith(BUFFERS)}
        tags = {t for t in by_tag if t.startswith(f"{stage}/{role}/")}
        c.true(f"{role}: a histogram tag per parameter of {path}: only in TensorBoard "
               f"{sorted(tags - {f'{stage}/{role}/{k}' for k in params})}",
               tags == {f"{stage}/{role}/{k}" for k in params} and len(params) > 0)
        for name, value in params.items():
            tag = f"{stage}/{role}/{name}"
            steps = [s for s, _ in by_tag.get(tag, [])]
            c.true(f"{tag}: a histogram at each epoch's step {epoch_steps}: {steps}", steps == epoch_steps)
            if not steps:
                continue
            h = by_tag[tag][-1][1]
            mn, mx, num, total, squares, limits, counts = histogram(value)
            c.true(f"{tag}: min, max, num", (h.min, h.max, h.num) == (mn, mx, num))
            c.true(f"{tag}: sum {h.sum} vs {total}, sum of squares {h.sum_squares} vs {squares}",
                   math.isclose(h.sum, total, rel_tol=1e-9, abs_tol=1e-12) and math.isclose(h.sum_squares, squares, rel_tol=1e-9))
            c.true(f"{tag}: bucket limits", list(h.bucket_limit) == limits)
            c.true(f"{tag}: bucket counts {list(h.bucket)} vs {counts}", list(h.bucket) == counts)
            compared += 1
    c.true(f"histograms compared with the final weights ({compared})", compared > 0)


def main():
    run_dir, stage = sys.argv[1], sys.argv[2]
    resumed_after = int(sys.argv[3]) if len(sys.argv) > 3 else None
    c = Checker()
    files = glob.glob(os.path.join(run_dir, f"events.out.tfevents.*.{stage}"))
    want_files = 1 if resumed_after is None else 2
    c.true(f"{want_files} events file(s) for stage {stage}: {files}", len(files) == want_files)
    if len(files) != want_files:
        c.finish()
    Event = event_class()
    per_file = []
    for path in files:
        events = []
        for body in records(path, c):
            e = Event()
            e.ParseFromString(body)
            events.append(e)
        c.true(f"{path}: the first event is the file version brain.Event:2", events and events[0].file_version == "brain.Event:2")
        per_file.append(events)
    per_file.sort(key=lambda events: events[0].wall_time)
    starts = [(i, e.step) for i, events in enumerate(per_file) for e in events if e.HasField("session_log")]
    if resumed_after is None:
        c.true(f"no SessionLog events: {starts}", not starts)
    else:
        later = per_file[1]
        c.true(f"only the resumed file marks a start, at step {resumed_after + 1}: {starts}",
               starts == [(1, resumed_after + 1)] and later[1].HasField("session_log") and later[1].session_log.status == 1)
        c.true("the resumed file's values all come after the start",
               all(e.step > resumed_after for e in later[1:] if e.HasField("summary")))
    # Merged as TensorBoard merges them: files in time order, a START dropping the points at or past its step.
    got, images, histos = {}, [], []
    for events in per_file:
        for e in events[1:]:
            if e.HasField("session_log"):
                got = {t: {s: v for s, v in steps.items() if s < e.step} for t, steps in got.items()}
                images = [i for i in images if i[1] < e.step]
                histos = [h for h in histos if h[1] < e.step]
                continue
            c.true("each later event holds a summary", e.HasField("summary") and len(e.summary.value) > 0)
            for v in e.summary.value:
                if v.HasField("image"):
                    images.append((v.tag, e.step, v.image))
                elif v.HasField("histo"):
                    histos.append((v.tag, e.step, v.histo))
                else:
                    got.setdefault(v.tag, {})[e.step] = np.float32(v.simple_value)
    # One sample grid per epoch, in order, at the epoch's last step.
    grids = sorted(glob.glob(os.path.join(run_dir, "samples", "epoch_*.png")))
    want, epoch_steps = expected(run_dir, stage)
    c.true(f"an image per sample grid ({len(images)} images, {len(grids)} grids)", len(images) == len(grids) > 0)
    for (tag, step, img), grid, want_step in zip(images, grids, epoch_steps):
        pixels = np.asarray(Image.open(io.BytesIO(img.encoded_image_string)))
        c.true(f"{tag} at step {step}: tag and step of {grid}", tag == stage + "/samples" and step == want_step)
        c.true(f"{tag} at step {step}: height, width and colorspace", (img.height, img.width) == pixels.shape[:2] and
               img.colorspace == (1 if pixels.ndim == 2 else pixels.shape[2]))
        c.true(f"{tag} at step {step}: pixels equal {grid}", np.array_equal(pixels, np.asarray(Image.open(grid))))
    c.true(f"the same tags: only in TensorBoard {sorted(set(got) - set(want))}, only in metrics.jsonl "
           f"{sorted(set(want) - set(got))}", set(got) == set(want))
    compared = 0
    for tag, steps in want.items():
        c.true(f"{tag}: the same steps in TensorBoard {sorted(got.get(tag, {}))} and metrics.jsonl {sorted(steps)}",
               sorted(got.get(tag, {})) == sorted(steps))
        for step, value in steps.items():
            c.true(f"{tag} at step {step}: {got.get(tag, {}).get(step)} vs {value}", got.get(tag, {}).get(step) == value)
            compared += 1
    c.true(f"compared values ({compared}) cover step and epoch tags",
           compared > 0 and any("/epoch/" in t for t in want) and any("/epoch/" not in t for t in want))
    check_histograms(c, run_dir, stage, histos, epoch_steps)
    c.finish()


if __name__ == "__main__":
    main()
