"""Renders docs/benchmarks.md from the results of scripts/bench_peers/run.py."""

import os

PEER_LABEL = {"timber": "timber", "tl2cgen": "treelite + tl2cgen", "m2cgen": "m2cgen"}


def label(r):
    v = r.get("versions", {})
    if r["peer"] == "timber":
        return f"**timber** ({v.get('timber', '?').replace('timber ', '')})"
    if r["peer"] == "tl2cgen":
        return f"treelite {v.get('treelite', '?')} + tl2cgen {v.get('tl2cgen', '?')}"
    s = f"m2cgen {v.get('m2cgen', '?')}"
    if r.get("workaround"):
        s += " (base_score patched)"
    return s


def fnum(x, fmt="{:.1f}"):
    return "–" if x is None else fmt.format(x)


def ratio(x, best):
    if x is None or not best:
        return "–"
    return f"{x / best:.2f}x"


def goal_ratio(models_by_name, model, key):
    res = models_by_name[model]["results"]
    ours = res["timber"].get(key)
    peers = [res[p].get(key) for p in ("tl2cgen", "m2cgen") if res[p].get(key) is not None]
    if ours is None or not peers:
        return None, None, None
    best = min(peers)
    return ours / best, ours, best


def render(data, here):
    env = data["env"]
    a = data["args"]
    out = []
    w = out.append
    w("# Benchmarks against other compilers of tree models to C\n")
    w("Written by `scripts/bench-peers.sh`; do not edit by hand (the analysis at the end comes from "
      "`scripts/bench_peers/notes.md`).\n")
    w(f"- Command: `{a['command']}`")
    w(f"- Date: {env['date']} (UTC). Machine: {env['nproc']} cores ({env['cpu']}), shared; load "
      f"average (1, 5, 15 min) {env['load_start']} at the start and {env['load_end']} at the end "
      f"of the run; each figure below carries the 1-minute load average read just before it was "
      f"measured. Ratios between rows of one table come from the same run and are what count; "
      f"absolute times move with the load.")
    w(f"- timber at commit `{env['commit']}`{' (with uncommitted changes in src/)' if env['dirty'] else ''}; "
      + (f"generator sources (src/, templates/) last changed in `{env['src_commit']}`; "
         if env.get("src_commit") else "")
      + f"host compiler `{env['cc_version']}`; Cortex-M4 compiler `{env['arm_cc_version']}`; peers "
      f"from PyPI in a throwaway venv ({env['python']}).")
    w(f"- Every generated C file is compiled with `{a['cc']} {a['cflags']}` (linked with `-lm`: "
      f"the peers call `exp`/`expf`). No peer needed other flags. Cortex-M4: "
      f"`{a['arm_cc']} {a['arm_flags']} -c`, then `arm-none-eabi-size -A`; text+rodata is the sum "
      f"of the `.text*` and `.rodata*` sections of the generated objects only (library routines "
      f"they call, listed in the size table, are not counted).")
    w(f"- Rows: the fixture's `<model>.inputs.csv` (rows on split thresholds, the next float32 "
      f"each side, NaN, infinities, random rows) parsed with `strtof` and repeated to at least "
      f"{a['min_rows']} rows. ns/row is the median of {a['repeats']} timed passes (after one "
      f"warm-up pass); single = one call per row; batch = calls on blocks of 1024 rows (timber's "
      f"`timber_infer`; the peers emit no batch function, so their driver loops over rows). "
      f"Compile time: median of {a['compile_reps']} runs of the compiler over all generated .c "
      f"files, one after another.")
    w(f"- Exactness: each peer's output for every fixture row (as float32) against timber's and "
      f"against XGBoost's own predictions (`<model>.expected.csv`, XGBoost "
      f"{data['models'][0]['info']['xgboost_version']}); rows whose bits differ, the largest "
      f"absolute difference and the largest distance in float32 ulps.")
    w(f"- The whole run took {env['seconds']:.0f} s (venv, timber build, all models).\n")

    by_name = {}
    for m in data["models"]:
        info = m["info"]
        name = os.path.splitext(os.path.basename(info["model"]))[0]
        by_name[name] = m
        res = m["results"]
        w(f"## {info['model']} — {info['n_trees']} trees, {info['n_features']} features, "
          f"{info['objective']}\n")
        failed = [r for r in res.values() if not r.get("ok")]
        ok = [res[p] for p in ("timber", "tl2cgen", "m2cgen") if res[p].get("ok") and "single_ns" in res[p]]
        best_s = min((r["single_ns"] for r in ok), default=None)
        best_b = min((r["batch_ns"] for r in ok), default=None)
        best_c = min((r["compile_s"] for r in ok), default=None)
        best_m = min((r["m4_text_rodata"] for r in ok if "m4_text_rodata" in r), default=None)
        best_smin = min((r["single_min"] for r in ok), default=None)
        best_bmin = min((r["batch_min"] for r in ok), default=None)
        w(f"Speed (host; {a['repeats']} rounds, each running every compiler's driver for one "
          f"pass, so load changes hit all alike; median ns per row and, in brackets, the fastest "
          f"pass; ratio to the fastest compiler of the column):\n")
        w("| compiler | single ns/row | ratio | batch ns/row | ratio | rows/pass | 1-min load, first / last round |")
        w("|---|---:|---:|---:|---:|---:|---|")
        for r in ok:
            w(f"| {label(r)} | {r['single_ns']:.1f} ({r['single_min']:.1f}) | "
              f"{ratio(r['single_ns'], best_s)} ({ratio(r['single_min'], best_smin)}) | "
              f"{r['batch_ns']:.1f} ({r['batch_min']:.1f}) | "
              f"{ratio(r['batch_ns'], best_b)} ({ratio(r['batch_min'], best_bmin)}) | "
              f"{r['rows_timed']} | {r['bench_load_before']} / {r['bench_load_after']} |")
        for r in failed:
            w(f"| {label(r)} | failed | | | | | |")
        w("")
        w("Build and size:\n")
        w("| compiler | generate C, s | C source bytes | host compile, s (median of "
          f"{a['compile_reps']}) | ratio | Cortex-M4 text+rodata, B | ratio | data+bss, B | "
          "calls out to | load |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
        for r in ok:
            if "m4_text_rodata" in r:
                calls = ", ".join(f"`{s}`" for s in r["m4_undefined"]) or "nothing"
                m4 = (f"{r['m4_text_rodata']} | {ratio(r['m4_text_rodata'], best_m)} | "
                      f"{r['m4_data_bss']} | {calls}")
            else:
                m4 = "does not build (below) | – | – | –"
            w(f"| {label(r)} | {fnum(r.get('gen_seconds'), '{:.2f}')} | {r['c_bytes']} | "
              f"{r['compile_s']:.2f} | {ratio(r['compile_s'], best_c)} | {m4} | "
              f"{r['compile_load'].split()[0]} |")
        w("")
        w(f"Exactness ({info['n_input_rows']} fixture rows):\n")
        w("| compiler | rows differing from XGBoost | max abs diff | max ulps | rows differing "
          "from timber | max abs diff | max ulps |")
        w("|---|---:|---:|---:|---:|---:|---:|")
        for r in ok:
            x = r["vs_xgboost"]
            t = r["vs_timber"]
            w(f"| {label(r)} | {x['differ']} | {x['max_abs']:.3g} | {x['max_ulps']} | "
              f"{t['differ']} | {t['max_abs']:.3g} | {t['max_ulps']} |")
        w("")
        notes = []
        for p in ("timber", "tl2cgen", "m2cgen"):
            r = res[p]
            if r.get("error_unpatched"):
                notes.append(f"- {PEER_LABEL[p]} as shipped fails on this model: "
                             f"`{r['error_unpatched']}`. Workaround used for the figures above: "
                             f"{r['workaround']}.")
            if r.get("m4_error"):
                notes.append(f"- {PEER_LABEL[p]}: the generated C does not build for Cortex-M4: "
                             f"`{r['m4_error']}`.")
            if not r.get("ok"):
                notes.append(f"- {PEER_LABEL[p]} produced no C: `{r.get('error')}`.")
        if notes:
            w("\n".join(notes) + "\n")

    # Goals
    w("## Issue 8 goals against these measurements\n")
    w("| goal | measured | met |")
    w("|---|---|---|")
    for name in ("binary_nan", "large_500"):
        if name not in by_name:
            continue
        for key, what in (("single_ns", "single"), ("batch_ns", "batch")):
            rt, ours, best = goal_ratio(by_name, name, key)
            rmin, _, _ = goal_ratio(by_name, name, key.replace("_ns", "_min"))
            if rt is None:
                w(f"| ns/row {what}, {name}: <= 0.8x the fastest peer | no peer measured | – |")
                continue
            w(f"| ns/row {what}, {name}: <= 0.8x the fastest peer | {ours:.1f} vs {best:.1f} ns "
              f"= **{rt:.2f}x** (fastest passes: {rmin:.2f}x) | {'yes' if rt <= 0.8 else 'no'} |")
    if "binary_nan" in by_name:
        rt, ours, best = goal_ratio(by_name, "binary_nan", "m4_text_rodata")
        if rt is not None:
            w(f"| Cortex-M4 text+rodata, binary_nan: <= 0.5x the smallest peer | {ours} vs {best} B "
              f"= **{rt:.2f}x** | {'yes' if rt <= 0.5 else 'no'} |")
            w(f"| Cortex-M4 text+rodata, binary_nan: < 16 KB | {ours} B | "
              f"{'yes' if ours < 16384 else 'no'} |")
    big = data.get("compile_1000")
    if big:
        w(f"| `timber compile` of a 1000-tree depth-8 model < 1 s | **{big['median_s']:.3f} s** "
          f"(median of 3 runs of the release binary, whole CLI: parse, IR, C, ir.json, writes; "
          f"{big['json_bytes'] / 1e6:.1f} MB JSON; load {big['load']}) | "
          f"{'yes' if big['median_s'] < 1.0 else 'no'} |")
    w("")
    w("Not measured here (other parts of issue 8): stack per call on Cortex-M4, `timber certify` "
      "time with all targets.\n")
    notes_path = os.path.join(here, "notes.md")
    if os.path.exists(notes_path):
        with open(notes_path) as f:
            w(f.read().rstrip() + "\n")
    return "\n".join(out)
