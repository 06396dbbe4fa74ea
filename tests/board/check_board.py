#!/usr/bin/python3
"""`ganflow board` and `ganflow report` in a real browser (Debian's headless Chromium through
chromedriver and python3-selenium).

    check_board.py GANFLOW_BINARY SOURCE_DIR OUT_DIR

Trains two tiny runs with the real program (one finished, one still training in the
background, later stopped with Ctrl-C, and a third killed with SIGKILL), adds damaged copies (a half-written metrics line, a corrupt sample PNG, no
samples folder), serves them with `ganflow board` and checks the run list, the loss chart's
pixels, the sample slider, live updates, comparison, the problems shown, path traversal
refusals, a port in use, and a `ganflow report` file opened from disk with the network off.
Screenshots go to OUT_DIR. Exits non-zero with the failed check's message.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

GANFLOW, SOURCE, OUT = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3])
T0 = time.time()
children = []


def log(msg):
    print(f"[{time.time() - T0:5.1f}s] {msg}", flush=True)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)
    log("ok: " + msg)


def wait_for(what, fn, timeout=30, every=0.2):
    end = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > end:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(every)


# A tiny DCGAN with the in-loop quality monitor (FD per epoch), small enough for a few
# seconds per epoch on one thread.
def tiny_graph(epochs, limit):
    return {
        "name": "tiny_dcgan", "seed": 1, "threads": 1, "device": "cpu",
        "nodes": {
            "images": {"type": "fashion_mnist", "params": {"split": "train", "size": 32, "limit": limit}},
            "noise": {"type": "noisy_item", "params": {"noise_sz": 16}},
            "data": {"type": "gan_item_list", "inputs": {"x": "noise", "y": "images"}, "params": {"bs": 16}},
            "generator": {"type": "basic_generator", "params": {"out_size": 32, "n_channels": 1, "noise_sz": 16, "n_features": 8}},
            "critic": {"type": "basic_critic", "params": {"in_size": 32, "n_channels": 1, "n_features": 8}},
            "bce": {"type": "bce_with_logits"},
            "bce_patch": {"type": "adaptive_loss", "inputs": {"crit": "bce"}},
            "gen_loss": {"type": "gan_gen_loss", "inputs": {"loss_crit": "bce_patch"}},
            "crit_loss": {"type": "gan_crit_loss", "inputs": {"loss_crit": "bce_patch"}},
            "switcher": {"type": "fixed_gan_switcher", "params": {"n_crit": 1, "n_gen": 1}},
            "extractor": {"type": "fmnist_classifier", "params": {"weights": os.path.join(SOURCE, "data/fmnist_classifier.pt")}},
            "test_images": {"type": "fashion_mnist", "params": {"split": "test", "size": 32, "limit": 160}},
            "test_data": {"type": "item_list", "inputs": {"x": "test_images"}, "params": {"bs": 160, "shuffle": False, "drop_last": False}},
            "monitor": {"type": "quality_monitor", "inputs": {"generator": "generator", "noise": "noise", "extractor": "extractor", "real": "test_data"},
                        "params": {"every": 1, "n": 160, "kid_subsets": 2, "kid_subset_size": 64}},
            "train": {"type": "gan", "inputs": {"data": "data", "generator": "generator", "critic": "critic", "gen_loss": "gen_loss",
                                                "crit_loss": "crit_loss", "switcher": "switcher", "callbacks": ["monitor"]},
                      "params": {"epochs": epochs, "lr": 0.0004, "betas": [0.5, 0.99], "log_every": 1, "checkpoint_every": 0}},
        },
    }


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, raw_path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.putrequest("GET", raw_path, skip_accept_encoding=True)  # raw: no client-side normalisation
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


def epoch_rows(run_dir):
    try:
        with open(os.path.join(run_dir, "metrics.jsonl")) as f:
            return sum(1 for line in f if '"kind":"epoch"' in line)
    except FileNotFoundError:
        return 0


def chrome(extra=()):
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--no-first-run", "--user-data-dir=" + tempfile.mkdtemp(prefix="chromium-"),
              "--window-size=1400,1000", "--hide-scrollbars", *extra]:
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


# Coloured (not white, not grey) pixels drawn on a canvas: the curves and the legend.
COLOURED_PIXELS = """
const c = document.getElementById(arguments[0]);
if (!c) return -1;
const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let n = 0;
for (let i = 0; i < d.length; i += 4) {
  const [r, g, b, a] = [d[i], d[i + 1], d[i + 2], d[i + 3]];
  if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
}
return n;"""
POINTS = """const c = Chart.getChart(arguments[0]);
return c ? c.data.datasets.reduce((n, d) => n + d.data.length, 0) : -1;"""

OPENED = "const e = document.getElementById('run-name'); return e && e.textContent;"


def browser_errors(d):
    return [e["message"] for e in d.get_log("browser") if e["level"] == "SEVERE"]


def shot(d, name):
    path = os.path.join(OUT, name)
    d.save_screenshot(path)
    log("screenshot " + path)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    runs = os.path.join(OUT, "runs")
    os.makedirs(runs)
    graph = os.path.join(OUT, "tiny.json")
    with open(graph, "w") as f:
        json.dump(tiny_graph(2, 96), f)
    live_graph = os.path.join(OUT, "tiny_live.json")
    with open(live_graph, "w") as f:
        json.dump(tiny_graph(2000, 48), f)

    # The live run trains in the background while the finished one trains.
    live_dir = os.path.join(runs, "live")
    live_err = open(os.path.join(OUT, "live_stderr.txt"), "w")
    live = subprocess.Popen([GANFLOW, "run", live_graph, "--out", live_dir], stdout=subprocess.DEVNULL, stderr=live_err)
    children.append(live)
    done = subprocess.run([GANFLOW, "run", graph, "--out", os.path.join(runs, "finished")], capture_output=True, text=True)
    check(done.returncode == 0, "a tiny training run finishes (" + done.stderr.strip()[-300:] + ")")
    log("finished run trained")
    # A run that fails at run time (8 images, batches of 16: no batch): exit 1, "failed".
    failed = subprocess.run([GANFLOW, "run", graph, "--out", os.path.join(runs, "failed"), "--set", "images.limit=8"],
                            capture_output=True, text=True)
    check(failed.returncode == 1, "a failing run exits 1: " + failed.stderr.strip())

    # Damaged copies: a half-written last metrics line and a corrupt grid; no samples folder.
    broken = os.path.join(runs, "broken")
    shutil.copytree(os.path.join(runs, "finished"), broken)
    with open(os.path.join(broken, "metrics.jsonl"), "a") as f:
        f.write('{"step": 99, "epoch": 2, "gen_lo')
    with open(os.path.join(broken, "samples", "epoch_002.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    nosamples = os.path.join(runs, "nosamples")
    shutil.copytree(os.path.join(runs, "finished"), nosamples)
    shutil.rmtree(os.path.join(nosamples, "samples"))
    # Ways out of the folder: a symlink inside a run, a run that is a symlink to outside.
    secret = os.path.join(OUT, "outside")
    os.makedirs(secret)
    with open(os.path.join(secret, "secret.txt"), "w") as f:
        f.write("secret")
    shutil.copy(os.path.join(runs, "finished", "graph.json"), os.path.join(secret, "graph.json"))
    os.symlink(secret, os.path.join(runs, "finished", "escape"))
    os.symlink(secret, os.path.join(runs, "elsewhere"))

    port = free_port()
    board = subprocess.Popen([GANFLOW, "board", runs, "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    children.append(board)
    first = ""
    while "ganflow board:" not in first:
        line = board.stdout.readline()
        if not line:
            raise AssertionError("the board exited: " + first)
        first += line
    check(f"127.0.0.1:{port}" in first, "the board says where it listens: " + first.strip().splitlines()[-1])

    # A second board on the same port: one line naming the port, non-zero exit.
    again = subprocess.run([GANFLOW, "board", runs, "--port", str(port)], capture_output=True, text=True, timeout=30)
    err_lines = [l for l in again.stderr.splitlines() if l.strip()]
    check(again.returncode != 0 and len(err_lines) == 1 and str(port) in err_lines[0],
          "a port in use is a one-line error naming it: " + again.stderr.strip())
    bad = subprocess.run([GANFLOW, "board", os.path.join(OUT, "no_such_dir"), "--port", str(free_port())],
                         capture_output=True, text=True, timeout=30)
    check(bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1, "a missing runs folder is a one-line error")

    # Traversal and unknown runs over raw HTTP.
    for path in ["/runs/finished/../../outside/secret.txt", "/runs/%2e%2e/outside/secret.txt",
                 "/runs/finished/%2e%2e/%2e%2e/outside/secret.txt", "/runs/finished/..%2f..%2foutside%2fsecret.txt",
                 "/runs//etc/passwd", "/runs/finished//etc/passwd", "/runs/finished/escape/secret.txt",
                 "/runs/elsewhere/secret.txt", "/api/runs/elsewhere", "/api/runs/%2e%2e", "/api/runs/..%2foutside",
                 "/static/..%2f..%2fetc%2fpasswd"]:
        status, body = http_get(port, path)
        check(status in (403, 404) and b"secret" not in body and b"root:" not in body, f"{path} refused ({status})")
    status, body = http_get(port, "/api/runs/no_such_run")
    check(status == 404 and b"no run 'no_such_run'" in body, "an unknown run is 404 with its name")
    status, body = http_get(port, "/runs/finished/samples/epoch_000.png")
    check(status == 200 and body.startswith(b"\x89PNG"), "a sample grid is served")
    status, _ = http_get(port, "/static/chart.js")
    check(status == 200, "chart.js is served from the local copy")
    listing = json.loads(http_get(port, "/api/runs")[1])
    names = {r["name"]: r for r in listing["runs"]}
    check("elsewhere" not in names, "a run symlinked from outside is not listed")
    check(names["finished"]["status"] == "finished", "the finished run is 'finished'")
    check(names["failed"]["status"] == "failed" and "no batch" in names["failed"]["status_detail"],
          "the failed run is 'failed', with its error: " + names["failed"]["status_detail"])
    check(names["finished"]["best_fd"] is not None, "the quality monitor's best FD is in the list")
    broken_api = json.loads(http_get(port, "/api/runs/broken")[1])
    check(any("half-written" in p for p in broken_api["problems"]), "a half-written metrics line is a problem, not an error")
    check(len(broken_api["steps"]) > 0, "the other metrics lines of that run still load")

    # The run list parses only what a metrics.jsonl gained since the last poll: a half-written
    # line, its completion with one more epoch, and a file rewritten from the start all show.
    growing = os.path.join(runs, "growing")
    shutil.copytree(os.path.join(runs, "finished"), growing)
    metrics_file = os.path.join(growing, "metrics.jsonl")
    with open(metrics_file) as f:
        original = f.read()

    def listed(name):
        return next(r for r in json.loads(http_get(port, "/api/runs")[1])["runs"] if r["name"] == name)

    first = listed("growing")
    check(first["best_fd"] == names["finished"]["best_fd"], "a copied run lists the same best FD")
    with open(metrics_file, "a") as f:
        f.write('{"kind": "step", "stage": "train", "step": 987')
    half = listed("growing")
    check(any("half-written" in p for p in half["problems"]) and half["last_step"] == first["last_step"],
          "an appended half line is a problem, and the last step stays: " + json.dumps(half["problems"]))
    with open(metrics_file, "a") as f:
        f.write('65, "epoch": 9}\n{"kind": "epoch", "stage": "train", "epoch": 9, "step": 98765, "fd": 1.5}\n')
    grown = listed("growing")
    check(grown["last_step"] == 98765 and grown["last_epoch"] == 9 and grown["best_fd"] == 1.5 and
          not grown["problems"], "the completed line and the new epoch are listed: " + json.dumps(grown))
    with open(metrics_file, "w") as f:  # rewritten, longer than before, other bytes before the old end
        f.write('{"kind": "epoch", "stage": "train", "epoch": 3, "step": 30, "fd": 7.25}' + " " * (len(original) + 400) + "\n")
    rewritten = listed("growing")
    check(rewritten["last_epoch"] == 3 and rewritten["best_fd"] == 7.25 and rewritten["last_step"] == 30,
          "a rewritten metrics file is read afresh: " + json.dumps(rewritten))

    # A long run's page: each stage's step records sampled (every k-th, k doubling past 2000
    # kept), the latest always in, parsed as the file grows; the same as a fresh read of it.
    def step_lines(stage, first, last):
        return "".join(json.dumps({"kind": "step", "stage": stage, "step": n, "loss": n / 1000}) + "\n"
                       for n in range(first, last + 1))

    def sampled(name):
        steps = json.loads(http_get(port, "/api/runs/" + name)[1])["steps"]
        return {stage: [r["step"] for r in steps if r["stage"] == stage] for stage in ("train", "tune")}

    def evenly_sampled(got, last):
        k = got[1] - got[0] if len(got) > 1 else 0
        return (1000 <= len(got) <= 2001 and got[0] == 1 and got[-1] == last and k > 1 and k & (k - 1) == 0 and
                all(b - a == k for a, b in zip(got, got[1:-1])))

    long_dir = os.path.join(runs, "long")
    shutil.copytree(os.path.join(runs, "finished"), long_dir)
    with open(os.path.join(long_dir, "metrics.jsonl"), "w") as f:
        f.write(step_lines("train", 1, 5000) + step_lines("tune", 1, 300))
    first = sampled("long")
    check(first["tune"] == list(range(1, 301)), "a stage of 300 step records keeps them all")
    check(evenly_sampled(first["train"], 5000), f"5000 step records: every k-th and the last "
          f"({len(first['train'])}: {first['train'][:3]} ... {first['train'][-3:]})")
    with open(os.path.join(long_dir, "metrics.jsonl"), "a") as f:
        f.write(step_lines("train", 5001, 9000))
    grown = sampled("long")
    check(evenly_sampled(grown["train"], 9000) and grown["tune"] == first["tune"],
          f"4000 more: every k-th and the new last ({len(grown['train'])}: ... {grown['train'][-3:]})")
    fresh_dir = os.path.join(runs, "long_fresh")
    shutil.copytree(long_dir, fresh_dir)
    check(sampled("long_fresh") == grown, "the grown file's sample equals a fresh read's")

    # A run whose log names no process this machine can check (another host's, or logged before
    # the line existed), quiet for 20 minutes: running while some process holds its log open.
    held = os.path.join(runs, "held")
    shutil.copytree(os.path.join(runs, "finished"), held)
    with open(os.path.join(held, "log.txt")) as f:
        kept = [l for l in f if l.strip() != "run finished" and not l.startswith("process ")]
    with open(os.path.join(held, "log.txt"), "w") as f:
        f.writelines(kept)
    for folder, _, files in os.walk(held):
        for name in files:
            os.utime(os.path.join(folder, name), (time.time() - 1200, time.time() - 1200))
    holder = open(os.path.join(held, "log.txt"))
    time.sleep(1.2)  # the board reads /proc at most once a second
    held_api = json.loads(http_get(port, "/api/runs/held")[1])
    check(held_api["status"] == "running" and "a process has its log open" in held_api["status_detail"],
          "with no process line, a run whose log a process holds open is running: " + held_api["status_detail"])
    holder.close()
    time.sleep(1.2)  # the board reads /proc at most once a second
    held_api = json.loads(http_get(port, "/api/runs/held")[1])
    check(held_api["status"] != "running", "and not running once nothing holds it: " + held_api["status_detail"])

    wait_for("the live run's first epoch", lambda: epoch_rows(live_dir) >= 1, timeout=60)
    live_api = json.loads(http_get(port, "/api/runs/live")[1])
    check(live_api["status"] == "running" and re.match(r"process \d+ on .+ is running", live_api["status_detail"]),
          "the live run is 'running': " + live_api["status_detail"])

    d = chrome()
    try:
        base = f"http://127.0.0.1:{port}/?poll=500"
        d.get(base + "#run=finished")
        rows = wait_for("the run list", lambda: d.execute_script(
            "return [...document.querySelectorAll('#runs tbody tr')].map(r => r.innerText)") if d.execute_script(
            "return document.querySelectorAll('#runs tbody tr').length >= 4") else None)
        text = "\n".join(rows)
        check("finished" in text and "live" in text and "running" in text and "tiny_dcgan" in text,
              "the run list shows the finished and the running run: " + " | ".join(r.replace("\t", " ") for r in rows))
        wait_for("the loss chart", lambda: d.execute_script(POINTS, "loss-chart") > 0)
        pixels = d.execute_script(COLOURED_PIXELS, "loss-chart")
        check(pixels > 300, f"the loss chart's canvas is drawn ({pixels} coloured pixels)")
        legend = d.execute_script("return Chart.getChart('loss-chart').data.datasets.map(d => d.label)")
        check({"gen_loss", "crit_loss"} <= set(legend), "the loss chart has a legend: " + ", ".join(legend))
        check(d.execute_script("return !!document.getElementById('epoch-fd')"), "FD has its own epoch chart")
        # The slider switches the grid; the image is upscaled with nearest-neighbour.
        wait_for("the sample grid", lambda: d.execute_script("const i = document.getElementById('sample-img'); return i && i.complete && i.naturalWidth > 0"))
        last_src = d.execute_script("return document.getElementById('sample-img').src")
        d.execute_script("const s = document.getElementById('sample-slider'); s.value = 0; s.dispatchEvent(new Event('input'))")
        wait_for("the first grid", lambda: d.execute_script("const i = document.getElementById('sample-img'); return i.src.endsWith('epoch_000.png') && i.complete && i.naturalWidth > 0"))
        check(d.execute_script("return document.getElementById('sample-img').src") != last_src, "the slider switches the sample image")
        check(d.execute_script("return getComputedStyle(document.getElementById('sample-img')).imageRendering") == "pixelated",
              "the grid is upscaled without blurring")
        check(d.execute_script("return document.getElementById('sample-img').getBoundingClientRect().width") >=
              2 * d.execute_script("return document.getElementById('sample-img').naturalWidth"), "the grid is shown upscaled")
        nodes = d.execute_script("return document.querySelectorAll('svg.graph rect').length")
        edges = d.execute_script("return document.querySelectorAll('svg.graph path[marker-end]').length")
        check(nodes == 15 and edges >= 14, f"the graph is drawn ({nodes} nodes, {edges} edges)")
        check("train" in d.execute_script("return document.getElementById('stage-order').textContent"), "the stages are listed")
        check("ganflow run" in d.execute_script("return document.getElementById('log').textContent"), "the log tail is shown")
        d.execute_script("document.getElementById('sample-slider').scrollIntoView(false)")
        d.execute_script("window.scrollTo(0, 0)")
        shot(d, "board_finished.png")

        # Live: the running run's chart gains points as its metrics.jsonl grows.
        d.get(base + "#run=live")
        wait_for("the live run's page", lambda: d.execute_script(OPENED) == "live")
        wait_for("the live chart", lambda: d.execute_script(POINTS, "loss-chart") > 0)
        before = d.execute_script(POINTS, "loss-chart")
        size = os.path.getsize(os.path.join(live_dir, "metrics.jsonl"))
        wait_for("metrics.jsonl to grow", lambda: os.path.getsize(os.path.join(live_dir, "metrics.jsonl")) > size, timeout=60)
        after = wait_for("the chart to gain points", lambda: (lambda n: n if n > before else None)(d.execute_script(POINTS, "loss-chart")), timeout=30)
        check(after > before, f"the running run's chart gained points without a reload ({before} -> {after})")
        check("live" in d.execute_script("return document.getElementById('live').textContent"), "the page says it is live")
        shot(d, "board_live.png")

        # Comparison: two runs ticked overlay their curves.
        for name in ("finished", "live"):
            d.execute_script(f"document.querySelector('.compare-box[data-run=\"{name}\"]').click()")
        wait_for("the comparison chart", lambda: d.execute_script(POINTS, "compare-loss") > 0)
        labels = d.execute_script("return Chart.getChart('compare-loss').data.datasets.map(d => d.label)")
        check(any(l.startswith("finished") for l in labels) and any(l.startswith("live") for l in labels),
              "the comparison overlays both runs: " + ", ".join(labels))
        check(d.execute_script(COLOURED_PIXELS, "compare-loss") > 300, "the comparison chart is drawn")
        d.execute_script("document.getElementById('compare').scrollIntoView()")
        shot(d, "board_compare.png")

        # Damaged runs still render, with the problem on the page.
        d.get(base + "#run=broken")
        wait_for("the broken run's page", lambda: d.execute_script(OPENED) == "broken")
        wait_for("the broken run", lambda: d.execute_script(POINTS, "loss-chart") > 0)
        problems = wait_for("its problems", lambda: d.execute_script("return document.getElementById('run-problems').innerText"))
        check("half-written" in problems and "cannot be decoded" in problems, "the broken run shows its problems: " + problems.replace("\n", " | "))
        d.execute_script("const s = document.getElementById('sample-slider'); s.value = s.max; s.dispatchEvent(new Event('input'))")
        check("epoch_002.png" in wait_for("the corrupt grid's message", lambda: d.execute_script("return document.getElementById('sample-problem').textContent")),
              "the corrupt grid is named under the slider")
        shot(d, "board_broken.png")
        d.get(base + "#run=nosamples")
        wait_for("that run's page", lambda: d.execute_script(OPENED) == "nosamples")
        wait_for("the run without samples", lambda: d.execute_script(POINTS, "loss-chart") > 0)
        check("samples/ is missing" in d.execute_script("return document.getElementById('run-problems').innerText"),
              "a missing samples folder is shown as a problem")
        d.get(base + "#run=no_such_run")
        msg = wait_for("the unknown run's message", lambda: d.execute_script("const e = document.getElementById('run-error'); return e && e.textContent"))
        check("no_such_run" in msg, "an unknown run is shown as such: " + msg)
        errors = [e for e in browser_errors(d) if "no_such_run" not in e and "epoch_002.png" not in e]
        check(not errors, "no other errors in the browser console: " + "; ".join(errors))
    finally:
        d.quit()

    # Stopping the live run (Ctrl-C) shows it as stopped.
    live.send_signal(signal.SIGINT)
    check(live.wait(timeout=60) == 130, "the live run stops on SIGINT (exit 130)")
    check(json.loads(http_get(port, "/api/runs/live")[1])["status"] == "stopped", "a stopped run is 'stopped'")

    # A SIGKILLed run (no end line, files written a moment ago) is over at once, not 'running' for minutes.
    killed_dir = os.path.join(runs, "killed")
    killed = subprocess.Popen([GANFLOW, "run", live_graph, "--out", killed_dir], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    children.append(killed)
    wait_for("the killed run's first epoch", lambda: epoch_rows(killed_dir) >= 1, timeout=60)
    before_kill = json.loads(http_get(port, "/api/runs/killed")[1])
    check(before_kill["status"] == "running", "before the kill the run is 'running': " + before_kill["status_detail"])
    killed.kill()
    killed.wait(timeout=30)
    after_kill = json.loads(http_get(port, "/api/runs/killed")[1])
    check(after_kill["status"] == "failed" and f"killed: process {killed.pid} on" in after_kill["status_detail"],
          "a SIGKILLed run is 'failed' at once, naming its process: " + after_kill["status_detail"])
    board.terminate()
    board.wait(timeout=10)

    # The report: one file, opened from disk with the network off.
    report = os.path.join(OUT, "report.html")
    r = subprocess.run([GANFLOW, "report", os.path.join(runs, "finished"), "--out", report], capture_output=True, text=True)
    check(r.returncode == 0 and os.path.exists(report), "ganflow report writes the file: " + r.stdout.strip())
    html = open(report, encoding="utf-8").read()
    check("src=\"http" not in html and "href=\"http" not in html and "<script src=" not in html, "the report links nothing outside itself")
    r = subprocess.run([GANFLOW, "report", os.path.join(runs, "no_such_run"), "--out", os.path.join(OUT, "x.html")], capture_output=True, text=True)
    check(r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1, "a report of no run is a one-line error: " + r.stderr.strip())
    d = chrome(["--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"])
    try:
        d.execute_cdp_cmd("Network.enable", {})
        d.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0})
        d.get("file://" + report)
        pts = wait_for("the report's chart points", lambda: d.execute_script(POINTS, "loss-chart") if d.execute_script("return typeof Chart !== 'undefined'") else None)
        check(pts > 0 and d.execute_script(COLOURED_PIXELS, "loss-chart") > 300, "the report's loss chart renders offline")
        check(d.execute_script(COLOURED_PIXELS, "epoch-fd") > 50, "the report's FD chart renders offline")
        check(d.execute_script("const i = document.getElementById('sample-img'); return i.complete && i.naturalWidth > 0 && i.src.startsWith('data:image/png')"),
              "the report's sample grid is an inlined image")
        check(not browser_errors(d), "the report opens without errors: " + "; ".join(browser_errors(d)))
        shot(d, "report.png")
    finally:
        d.quit()
    log(f"all checks passed in {time.time() - T0:.1f} s")


try:
    main()
except Exception as e:  # one line for ctest's output
    print("FAILED:", e, flush=True)
    sys.exit(1)
finally:
    for p in children:
        if p.poll() is None:
            p.kill()
            p.wait()
