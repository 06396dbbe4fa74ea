"""ganflow's TensorBoard event files read as TensorBoard reads them: TFRecord framing whose
masked CRC-32Cs python3-crc32c confirms, Event protobufs decoded by the protobuf library (the
messages declared here with event.proto's and summary.proto's field numbers), the file version
first, every step and epoch value of metrics.jsonl as a float32 scalar at its step, and each
epoch's sample grid as a PNG image whose pixels (decoded by PIL) equal samples/epoch_NNN.png's.
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
    got, images = {}, []
    for events in per_file:
        for e in events[1:]:
            if e.HasField("session_log"):
                got = {t: {s: v for s, v in steps.items() if s < e.step} for t, steps in got.items()}
                images = [i for i in images if i[1] < e.step]
                continue
            c.true("each later event holds a summary", e.HasField("summary") and len(e.summary.value) > 0)
            for v in e.summary.value:
                if v.HasField("image"):
                    images.append((v.tag, e.step, v.image))
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
    c.finish()


if __name__ == "__main__":
    main()
