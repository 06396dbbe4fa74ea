"""Copies a trained classifier into data/ and records its SHA-256 and test accuracy.

usage: /usr/bin/python3 tests/python/record_extractor.py RUN_DIR [STAGE]
RUN_DIR is the run folder of graphs/train_fmnist_classifier.json; the accuracy is the last
epoch's `accuracy` in its metrics.jsonl (the test split, the graph's validation set)."""
import hashlib
import json
import pathlib
import shutil
import sys


def main():
    run = pathlib.Path(sys.argv[1])
    stage = sys.argv[2] if len(sys.argv) > 2 else "train"
    root = pathlib.Path(__file__).resolve().parents[2]
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    epochs = [r for r in rows if r.get("stage", stage) == stage and "accuracy" in r]
    if not epochs:
        sys.exit(f"no epoch with an accuracy in {run / 'metrics.jsonl'}")
    dst = root / "data" / "fmnist_classifier.pt"
    dst.parent.mkdir(exist_ok=True)
    shutil.copyfile(run / f"{stage}_model.pt", dst)
    record = {
        "weights": "fmnist_classifier.pt",
        "sha256": hashlib.sha256(dst.read_bytes()).hexdigest(),
        "test_accuracy": epochs[-1]["accuracy"],
        "epochs": len(epochs),
        "feature_dim": 128,
        "graph": "graphs/train_fmnist_classifier.json",
        "command": "build/bin/ganflow run graphs/train_fmnist_classifier.json --out " + str(run)
                   + " && /usr/bin/python3 tests/python/record_extractor.py " + str(run),
    }
    (root / "data" / "fmnist_classifier.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
