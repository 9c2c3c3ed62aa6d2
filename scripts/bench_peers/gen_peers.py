"""Emit the peers' C for one XGBoost JSON model (runs inside the bench venv).

usage: gen_peers.py MODEL.json OUTDIR

Writes OUTDIR/tl2cgen/{header.h,main.c,...}, OUTDIR/m2cgen/model.c and
OUTDIR/peers.json, which records for each peer whether it produced C, the
exact error when it did not, the workaround used, and the tool versions.
A peer failing is a result, not an error: this script exits 0 unless the
model itself cannot be read.
"""

import json
import os
import sys
import threading
import time
import traceback


def short_error(exc):
    """The exception's type and message plus the innermost frame in the tool."""
    tb = traceback.extract_tb(exc.__traceback__)
    where = ""
    if tb:
        last = tb[-1]
        where = f" (at {os.path.basename(last.filename)}:{last.lineno} `{last.line}`)"
    return f"{type(exc).__name__}: {exc}{where}"


def gen_tl2cgen(model_path, out):
    import tl2cgen
    import treelite

    rec = {"peer": "tl2cgen", "ok": False, "params": {}, "notes": []}
    rec["versions"] = {"treelite": treelite.__version__, "tl2cgen": tl2cgen.__version__}
    try:
        t0 = time.perf_counter()
        model = treelite.frontend.load_xgboost_model(model_path)
        # Default parameters: the C a user gets from tl2cgen.generate_c_code.
        tl2cgen.generate_c_code(model, dirpath=out, params={})
        rec["gen_seconds"] = time.perf_counter() - t0
        rec["sources"] = sorted(f for f in os.listdir(out) if f.endswith(".c"))
        rec["n_features"] = int(model.num_feature)
        rec["ok"] = True
    except Exception as exc:  # a peer failing is a result
        rec["error"] = short_error(exc)
    return rec


def m2cgen_estimator(model_path, objective):
    import xgboost as xgb

    cls = xgb.XGBClassifier if objective.startswith("binary:") else xgb.XGBRegressor
    est = cls()
    est.load_model(model_path)
    return est


def export_deep(fn, est, limit=None):
    """fn(est), optionally with a raised recursion limit on a big-stack thread."""
    if limit is None:
        try:
            return fn(est), None
        except Exception as exc:  # noqa: BLE001
            return None, exc
    box = {}

    def target():
        try:
            box["code"] = fn(est)
        except Exception as exc:  # noqa: BLE001
            box["exc"] = exc

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    threading.stack_size(1 << 30)
    t = threading.Thread(target=target)
    t.start()
    t.join()
    sys.setrecursionlimit(old)
    return box.get("code"), box.get("exc")


def gen_m2cgen(model_path, out, doc):
    import m2cgen
    import xgboost as xgb

    rec = {"peer": "m2cgen", "ok": False, "notes": []}
    rec["versions"] = {"m2cgen": m2cgen.__version__, "xgboost": xgb.__version__}
    objective = doc["learner"]["objective"]["name"]
    rec["kind"] = "scalar" if not objective.startswith("binary:") else "classes"
    rec["n_features"] = int(doc["learner"]["learner_model_param"]["num_feature"])
    # 1. As a user would call it.
    try:
        code = m2cgen.export_to_c(m2cgen_estimator(model_path, objective))
        rec["workaround"] = None
    except Exception as exc:
        rec["error_unpatched"] = short_error(exc)
        # 2. The quick workaround: XGBoost 3.x reports base_score as a list
        # ([0.505]); give the estimator the scalar it stores in the model.
        raw = doc["learner"]["learner_model_param"]["base_score"]
        scalar = float(str(raw).strip("[]").split(",")[0])
        rec["workaround"] = (
            f"estimator.set_params(base_score={scalar!r}) (XGBoost 3.x stores base_score as "
            f"the list {raw}; m2cgen 0.10 expects a float)"
        )
        est = m2cgen_estimator(model_path, objective)
        est.set_params(base_score=scalar)
        t0 = time.perf_counter()
        code, exc2 = export_deep(m2cgen.export_to_c, est)
        if exc2 is not None and isinstance(exc2, RecursionError):
            # m2cgen's README: for large models, raise the recursion limit.
            rec["workaround"] += "; sys.setrecursionlimit(1000000) on a thread with a 1 GiB stack"
            t0 = time.perf_counter()
            code, exc2 = export_deep(m2cgen.export_to_c, est, limit=1_000_000)
        if exc2 is not None:
            rec["error"] = short_error(exc2)
            return rec
        rec["gen_seconds"] = time.perf_counter() - t0
    with open(os.path.join(out, "model.c"), "w") as f:
        f.write(code)
    rec["sources"] = ["model.c"]
    rec["ok"] = True
    if rec["kind"] == "classes":
        rec["n_out"] = 2
    return rec


def main():
    model_path, outdir = sys.argv[1], sys.argv[2]
    with open(model_path) as f:
        doc = json.load(f)
    result = {}
    for peer, fn in (("tl2cgen", lambda o: gen_tl2cgen(model_path, o)),
                     ("m2cgen", lambda o: gen_m2cgen(model_path, o, doc))):
        out = os.path.join(outdir, peer)
        os.makedirs(out, exist_ok=True)
        for name in os.listdir(out):
            os.remove(os.path.join(out, name))
        print(f"  {peer}: generating C", flush=True)
        rec = fn(out)
        if rec.get("error_unpatched"):
            print(f"  {peer}: FAILED as shipped: {rec['error_unpatched']}", flush=True)
            if rec.get("workaround"):
                print(f"  {peer}: retrying with workaround: {rec['workaround']}", flush=True)
        if not rec["ok"]:
            print(f"  {peer}: FAILED: {rec['error']}", flush=True)
        result[peer] = rec
    with open(os.path.join(outdir, "peers.json"), "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    main()
