"""Orchestrates scripts/bench-peers.sh (system python3, standard library only).

It is called by the shell script once the tools are checked, the venv is ready
and timber is built; see that script for the environment variables.
"""

import argparse
import json
import math
import os
import shutil
import statistics
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = ("timber", "tl2cgen", "m2cgen")


def log(msg):
    print(f"[bench-peers] {msg}", flush=True)


def die(msg, code=1):
    print(f"[bench-peers] ERROR: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run(cmd, cwd=None, capture=True, check=True):
    p = subprocess.run(cmd, cwd=cwd, text=True,
                       stdout=subprocess.PIPE if capture else None,
                       stderr=subprocess.STDOUT if capture else None)
    if check and p.returncode != 0:
        out = (p.stdout or "")[-4000:]
        die(f"command failed (exit {p.returncode}): {' '.join(cmd)}\n{out}")
    return p


def first_line(cmd):
    try:
        return subprocess.run(cmd, text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT).stdout.splitlines()[0].strip()
    except (OSError, IndexError):
        return "?"


# ---------------------------------------------------------------- float32 helpers

def f32(text):
    """A decimal text (9 significant digits of a float32, or nan/inf) as float32."""
    return struct.unpack("<f", struct.pack("<f", float(text)))[0]


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def ordered(x):
    b = f32_bits(x)
    return -(b & 0x7FFFFFFF) if b & 0x80000000 else b


def ulps(a, b):
    if math.isnan(a) or math.isnan(b):
        return 0 if (math.isnan(a) and math.isnan(b)) else None
    return abs(ordered(a) - ordered(b))


def read_column(path, skip_header):
    with open(path) as f:
        lines = [ln.strip() for ln in f if ln.strip()]
    if skip_header:
        lines = lines[1:]
    return [f32(ln.split(",")[0]) for ln in lines]


def compare(got, ref):
    """Rows whose float32 bits differ, max abs difference, max ulps."""
    if len(got) != len(ref):
        return {"rows": len(ref), "differ": None, "error": f"{len(got)} outputs for {len(ref)} rows"}
    differ = 0
    max_abs = 0.0
    max_ulp = 0
    for a, b in zip(got, ref):
        if f32_bits(a) != f32_bits(b) and not (math.isnan(a) and math.isnan(b)):
            differ += 1
            d = abs(a - b)
            max_abs = max(max_abs, d) if not math.isnan(d) else float("inf")
            u = ulps(a, b)
            max_ulp = max(max_ulp, u if u is not None else 2**32)
    return {"rows": len(ref), "differ": differ, "max_abs": max_abs, "max_ulps": max_ulp}


# ---------------------------------------------------------------- measuring

def median_time(cmds, reps, cwd=None):
    """Median over reps of the wall time of running cmds one after another."""
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for c in cmds:
            run(c, cwd=cwd)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def arm_size(objs, arm_size_tool, arm_nm):
    text_rodata = 0
    data_bss = 0
    for o in objs:
        out = run([arm_size_tool, "-A", o]).stdout
        for ln in out.splitlines():
            parts = ln.split()
            if len(parts) < 2 or not parts[1].isdigit():
                continue
            name, size = parts[0], int(parts[1])
            if name.startswith(".text") or name.startswith(".rodata"):
                text_rodata += size
            elif name.startswith(".data") or name.startswith(".bss"):
                data_bss += size
    defined, undefined = set(), set()
    for o in objs:
        for ln in run([arm_nm, o]).stdout.splitlines():
            parts = ln.split()
            if len(parts) == 2 and parts[0] == "U":
                undefined.add(parts[1])
            elif len(parts) == 3:
                defined.add(parts[2])
    return text_rodata, data_bss, sorted(undefined - defined)


def bench_peer(peer, pdir, sources, n_features, extra_defs, inputs_csv, args, result):
    """Compile (timed), build the driver, run it, size it on Cortex-M4."""
    cflags = args.cflags.split()
    objdir = os.path.join(pdir, "obj")
    os.makedirs(objdir, exist_ok=True)
    objs = [os.path.join(objdir, s[:-2] + ".o") for s in sources]
    compile_cmds = [[args.cc] + cflags + ["-c", os.path.join(pdir, s), "-o", o]
                    for s, o in zip(sources, objs)]
    log(f"  {peer}: compiling {', '.join(sources)} with {args.cc} {args.cflags} "
        f"({args.compile_reps}x, load {loadavg()})")
    load_before = loadavg()
    med, times = median_time(compile_cmds, args.compile_reps)
    result["compile_s"] = med
    result["compile_runs_s"] = times
    result["compile_load"] = load_before
    log(f"  {peer}: compile median {med:.2f} s")

    driver_src = os.path.join(HERE, f"driver_{peer}.c")
    driver_obj = os.path.join(objdir, "driver.o")
    exe = os.path.join(pdir, "bench")
    run([args.cc] + cflags + [f"-I{pdir}", f"-I{HERE}", f"-DPEER_N_FEATURES={n_features}"]
        + extra_defs + ["-c", driver_src, "-o", driver_obj])
    run([args.cc] + cflags + [driver_obj] + objs + ["-lm", "-o", exe])
    result["exe"] = exe

    armdir = os.path.join(pdir, "arm")
    os.makedirs(armdir, exist_ok=True)
    arm_objs = []
    log(f"  {peer}: compiling for Cortex-M4 (load {loadavg()})")
    for s in sources:
        o = os.path.join(armdir, s[:-2] + ".o")
        p = run([args.arm_cc] + args.arm_flags.split() + ["-c", os.path.join(pdir, s), "-o", o],
                check=False)
        if p.returncode != 0:
            errors = [ln.strip() for ln in p.stdout.splitlines() if "rror" in ln]
            kinds = sorted({e.split("Error:", 1)[-1].strip() for e in errors})
            result["m4_error"] = (f"{args.arm_cc} exit {p.returncode} on {s}: {len(errors)} errors: "
                                  + "; ".join(kinds[:3]))
            log(f"  {peer}: Cortex-M4 build FAILED: {result['m4_error']}")
            return
        arm_objs.append(o)
    tr, db, und = arm_size(arm_objs, args.arm_size, args.arm_nm)
    result["m4_text_rodata"] = tr
    result["m4_data_bss"] = db
    result["m4_undefined"] = und
    log(f"  {peer}: Cortex-M4 text+rodata {tr} B, data+bss {db} B, calls out to {und or 'nothing'}")


def time_round_robin(peers, inputs_csv, args):
    """args.repeats rounds; in each round every peer's driver runs one timed
    pass, so load changes hit all peers alike. The first round also writes
    each peer's outputs for the fixture rows."""
    for r in peers:
        r.update(single_runs=[], batch_runs=[], loads=[])
    for rnd in range(args.repeats):
        load = loadavg()
        for r in peers:
            out_txt = os.path.join(os.path.dirname(r["exe"]), "outputs.txt")
            p = run([r["exe"], inputs_csv, out_txt, str(args.min_rows), "1"])
            vals = dict(ln.split(" ", 1) for ln in p.stdout.splitlines() if " " in ln)
            r["single_runs"].append(float(vals["single_ns_median"]))
            r["batch_runs"].append(float(vals["batch_ns_median"]))
            r["rows_timed"] = int(vals["rows"])
            r["batch_kind"] = vals["batch_kind"]
            if rnd == 0:
                r["outputs"] = read_column(out_txt, skip_header=False)
        r_load = loadavg()
        log(f"  round {rnd + 1}/{args.repeats} (load {load} -> {r_load}): " + ", ".join(
            f"{r['peer']} {r['single_runs'][-1]:.0f}/{r['batch_runs'][-1]:.0f}" for r in peers)
            + " ns/row single/batch")
        for r in peers:
            r["loads"].append(load.split()[0])
    for r in peers:
        r["single_ns"] = statistics.median(r["single_runs"])
        r["batch_ns"] = statistics.median(r["batch_runs"])
        r["single_min"] = min(r["single_runs"])
        r["batch_min"] = min(r["batch_runs"])
        r["bench_load_before"] = r["loads"][0]
        r["bench_load_after"] = r["loads"][-1]
        log(f"  {r['peer']}: median single {r['single_ns']:.1f} ns/row, batch {r['batch_ns']:.1f} "
            f"ns/row (min {r['single_min']:.1f} / {r['batch_min']:.1f})")


def bench_model(model, args, timber_bin):
    name = os.path.splitext(os.path.basename(model))[0]
    mdir = os.path.join(args.work, name)
    fixture_dir = os.path.dirname(model)
    inputs_csv = os.path.join(fixture_dir, f"{name}.inputs.csv")
    expected_csv = os.path.join(fixture_dir, f"{name}.expected.csv")
    for p in (model, inputs_csv, expected_csv):
        if not os.path.exists(p):
            die(f"missing fixture file {p}", 2)
    with open(model) as f:
        doc = json.load(f)
    info = {
        "model": os.path.relpath(model, args.root),
        "n_trees": len(doc["learner"]["gradient_booster"]["model"]["trees"]),
        "n_features": int(doc["learner"]["learner_model_param"]["num_feature"]),
        "objective": doc["learner"]["objective"]["name"],
        "xgboost_version": ".".join(str(v) for v in doc.get("version", [])),
    }
    with open(inputs_csv) as f:
        info["n_input_rows"] = sum(1 for ln in f if ln.strip()) - 1
    log(f"model {info['model']}: {info['n_trees']} trees, {info['n_features']} features, "
        f"{info['objective']}, {info['n_input_rows']} fixture rows")
    if os.path.isdir(mdir):
        shutil.rmtree(mdir)
    os.makedirs(mdir)
    results = {p: {"peer": p} for p in PEERS}

    # timber: the command a user runs, then the binary alone timed.
    tdir = os.path.join(mdir, "timber")
    log(f"  timber: cargo run --release -- compile --model {info['model']} --out {tdir}")
    run(["cargo", "run", "--release", "--quiet", "--", "compile", "--model", model, "--out", tdir],
        cwd=args.root)
    gen_med, _ = median_time([[timber_bin, "compile", "--model", model, "--out",
                               os.path.join(mdir, "timber-gen")]], 3)
    results["timber"].update(ok=True, gen_seconds=gen_med,
                             sources=sorted(f for f in os.listdir(tdir) if f.endswith(".c")),
                             versions={"timber": args.timber_version})

    # peers
    log("  peers: generating C in the venv")
    run([args.venv_python, os.path.join(HERE, "gen_peers.py"), model, mdir], capture=False)
    with open(os.path.join(mdir, "peers.json")) as f:
        peers = json.load(f)
    for p in ("tl2cgen", "m2cgen"):
        results[p].update(peers[p])

    for p in PEERS:
        r = results[p]
        pdir = os.path.join(mdir, p)
        if not r.get("ok"):
            log(f"  {p}: no C to measure ({r.get('error')})")
            continue
        r["c_bytes"] = sum(os.path.getsize(os.path.join(pdir, f)) for f in os.listdir(pdir)
                           if f.endswith((".c", ".h")))
        defs = []
        if p == "m2cgen":
            if r["kind"] == "scalar":
                defs.append("-DM2C_SCALAR")
            else:
                defs.append(f"-DM2C_N_OUT={r['n_out']}")
        bench_peer(p, pdir, r["sources"], info["n_features"], defs, inputs_csv, args, r)
    log(f"  timing: {args.repeats} rounds, each peer one pass of >= {args.min_rows} rows per round")
    time_round_robin([results[p] for p in PEERS if "exe" in results[p]], inputs_csv, args)

    expected = read_column(expected_csv, skip_header=True)
    ours = results["timber"].get("outputs")
    for p in PEERS:
        r = results[p]
        if "outputs" not in r:
            continue
        r["vs_xgboost"] = compare(r["outputs"], expected)
        r["vs_timber"] = compare(r["outputs"], ours) if ours is not None else None
        del r["outputs"]
    return {"info": info, "results": results}


def make_1000(src, dst):
    with open(src) as f:
        doc = json.load(f)
    m = doc["learner"]["gradient_booster"]["model"]
    m["trees"] = m["trees"] + m["trees"]
    m["tree_info"] = m["tree_info"] + m["tree_info"]
    # Tree ids must stay unique and in order.
    for i, t in enumerate(m["trees"]):
        t = dict(t)
        t["id"] = i
        m["trees"][i] = t
    m["gbtree_model_param"]["num_trees"] = str(len(m["trees"]))
    if "iteration_indptr" in m:
        m["iteration_indptr"] = list(range(len(m["trees"]) + 1))
    with open(dst, "w") as f:
        json.dump(doc, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--venv-python", required=True)
    ap.add_argument("--timber-bin", required=True)
    ap.add_argument("--command", required=True)
    ap.add_argument("--started", type=float, default=None)
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--cflags", default="-std=c99 -O2 -ffp-contract=off")
    ap.add_argument("--arm-cc", default="arm-none-eabi-gcc")
    ap.add_argument("--arm-size", default="arm-none-eabi-size")
    ap.add_argument("--arm-nm", default="arm-none-eabi-nm")
    ap.add_argument("--arm-flags", default="-std=c99 -ffp-contract=off -mcpu=cortex-m4 -mthumb "
                    "-mfloat-abi=hard -mfpu=fpv4-sp-d16 -O2")
    ap.add_argument("--repeats", type=int, default=21)
    ap.add_argument("--min-rows", type=int, default=20000)
    ap.add_argument("--compile-reps", type=int, default=3)
    ap.add_argument("models", nargs="+")
    args = ap.parse_args()
    if args.repeats < 11 or args.compile_reps < 3 or args.min_rows < 20000:
        log("NOTE: fewer repetitions/rows than the documented minimum (a quick run)")

    started = time.time()
    env = {
        "date": subprocess.run(["date", "-u", "+%Y-%m-%d"], text=True,
                               stdout=subprocess.PIPE).stdout.strip(),
        "nproc": os.cpu_count(),
        "load_start": loadavg(),
        "cpu": "?",
        "cc_version": first_line([args.cc, "--version"]),
        "arm_cc_version": first_line([args.arm_cc, "--version"]),
        "python": first_line([args.venv_python, "--version"]),
        "commit": run(["git", "rev-parse", "--short=12", "HEAD"], cwd=args.root).stdout.strip(),
        "src_commit": run(["git", "log", "-1", "--format=%h %s", "--", "src", "templates",
                           "Cargo.toml"], cwd=args.root).stdout.strip(),
        "dirty": bool(run(["git", "status", "--porcelain", "--", "src", "templates", "Cargo.toml",
                           "Cargo.lock"], cwd=args.root).stdout.strip()),
    }
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("model name"):
                    env["cpu"] = ln.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    args.timber_version = first_line([args.timber_bin, "--version"])
    log(f"load average {env['load_start']} on {env['nproc']} cores; timber {args.timber_version} "
        f"at {env['commit']}")

    models = [bench_model(os.path.abspath(m), args, args.timber_bin) for m in args.models]

    # timber compile of a 1000-tree model (the 500-tree fixture, trees twice).
    big = None
    src500 = next((os.path.abspath(m) for m in args.models if "large_500" in m), None)
    if src500:
        dst = os.path.join(args.work, "large_1000.json")
        make_1000(src500, dst)
        outdir = os.path.join(args.work, "large_1000-timber")
        load = loadavg()
        log(f"timber compile of a 1000-tree model (large_500 twice), 3 runs (load {load})")
        med, times = median_time([[args.timber_bin, "compile", "--model", dst, "--out", outdir]], 3)
        big = {"median_s": med, "runs_s": times, "load": load,
               "json_bytes": os.path.getsize(dst)}
        log(f"  median {med:.3f} s")

    env["load_end"] = loadavg()
    env["seconds"] = time.time() - (args.started or started)
    data = {"env": env, "args": {k: v for k, v in vars(args).items()}, "models": models,
            "compile_1000": big}
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump(data, f, indent=2, sort_keys=True, default=str)
    sys.path.insert(0, HERE)
    import report  # noqa: E402

    with open(args.out, "w") as f:
        f.write(report.render(data, HERE))
    log(f"wrote {os.path.relpath(args.out, args.root)} and {os.path.join(args.work, 'results.json')} "
        f"in {env['seconds']:.0f} s")


if __name__ == "__main__":
    main()
