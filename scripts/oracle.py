#!/usr/bin/env python3
"""The framework oracle: predict timber's verification vectors with the
model's own framework, independently of timber's parser.

    timber vectors MODEL --out vectors.csv
    python3 scripts/oracle.py MODEL vectors.csv --out predictions.csv
    timber certify MODEL --profile iso26262 --level ASIL-D --oracle predictions.csv

Needs only the Python standard library, numpy and the framework the model
was trained with: xgboost (JSON / UBJSON), lightgbm (text model),
scikit-learn (pickle or joblib; joblib files need the joblib package that
scikit-learn installs), catboost (JSON model) or onnxruntime (ONNX-ML). The
format is detected from the file's content, never from its name.

What it writes (predictions.csv):

    # timber oracle predictions v1
    # framework: xgboost 3.2.0
    # model sha256: <sha256 of the model file's bytes>
    # vectors sha256: <sha256 of vectors.csv's bytes>
    row,y0,y1,...,t0,t1,...
    0,0.7310585975646973,...,3,5,...

`y*` are the outputs timber's generated code computes (probabilities for
classifiers -- class 1 only for binary gradient boosting -- values for
regressors, the class index for XGBoost multi:softmax), each written with
Python's repr so it parses back to the framework's exact float32 or float64.
`t*` are the leaf reached in each tree where the framework exposes it
(XGBoost and LightGBM pred_leaf, scikit-learn apply, CatBoost
calc_leaf_indexes); ONNX Runtime does not, so its file has no `t*` columns.
A row the framework's own input checks refuse (scikit-learn refuses
infinities in trees and forests and NaN in gradient boosting; XGBoost's
DMatrix refuses infinities for pred_leaf) has empty cells for what was
refused: timber reports such rows as not compared, never as agreeing.
"""

import argparse
import csv
import hashlib
import json
import math
import pickle
import sys

import numpy as np

F32 = np.float32


def sha256(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def read_vectors(path):
    """The vectors as a float32 matrix (every cell parses to its float32)."""
    with open(path, encoding="ascii", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    if not header or any(h != "f%d" % i for i, h in enumerate(header)):
        sys.exit("%s: line 1: expected the header f0,f1,... written by `timber vectors`" % path)
    X = np.empty((len(body), len(header)), dtype=F32)
    for i, r in enumerate(body):
        if len(r) != len(header):
            sys.exit("%s: line %d: %d values, the header has %d" % (path, i + 2, len(r), len(header)))
        for j, cell in enumerate(r):
            try:
                X[i, j] = F32(float(cell))
            except ValueError:
                sys.exit("%s: line %d: column f%d: %r is not a number" % (path, i + 2, j, cell))
    return X


def detect(path):
    """The format from the file's content, not its name."""
    with open(path, "rb") as fh:
        body = fh.read()
    text = body.lstrip()
    if text.startswith(b"{"):
        try:
            doc = json.loads(body)
        except ValueError:
            return "xgboost"  # UBJSON starts with '{' too
        if "learner" in doc:
            return "xgboost"
        if "oblivious_trees" in doc:
            return "catboost"
        sys.exit("%s: JSON, but neither an XGBoost nor a CatBoost model" % path)
    if text.startswith(b"tree\n") or text.startswith(b"tree\r\n"):
        return "lightgbm"
    if body[:1] == b"\x80" or body[:2] in (b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda"):
        return "sklearn"  # pickle, or joblib (raw or zlib-compressed)
    # An ONNX ModelProto starts with field 1 (ir_version, a varint).
    if body[:1] == b"\x08":
        return "onnx"
    sys.exit(
        "%s: unknown model format (XGBoost JSON/UBJSON, LightGBM text, scikit-learn "
        "pickle/joblib, CatBoost JSON, ONNX)" % path
    )


def by_groups(X, predict):
    """Predict rows grouped by whether they hold NaN and/or an infinity;
    a group the framework refuses (ValueError) gives None for its rows."""
    has_nan = np.isnan(X).any(axis=1)
    has_inf = np.isinf(X).any(axis=1)
    out = [None] * len(X)
    for want_nan in (False, True):
        for want_inf in (False, True):
            idx = np.flatnonzero((has_nan == want_nan) & (has_inf == want_inf))
            if len(idx) == 0:
                continue
            try:
                res = np.asarray(predict(X[idx]))
            except ValueError:
                continue
            res = res.reshape(len(idx), -1)
            for k, i in enumerate(idx):
                out[i] = res[k]
    return out


def xgboost_predict(path, X):
    import xgboost as xgb

    booster = xgb.Booster(model_file=path)
    booster.set_param({"nthread": 1})
    # inplace_predict takes the float32 rows as they are, infinities too.
    y = np.asarray(booster.inplace_predict(X, missing=np.nan)).reshape(len(X), -1)
    leaves = by_groups(X, lambda Xs: _xgb_leaves(xgb, booster, Xs))
    return "xgboost " + xgb.__version__, list(y), leaves


def _xgb_leaves(xgb, booster, Xs):
    return booster.predict(xgb.DMatrix(Xs, missing=np.nan, nthread=1), pred_leaf=True)


def lightgbm_predict(path, X):
    import lightgbm as lgb

    booster = lgb.Booster(model_file=path)
    y = np.asarray(booster.predict(X, num_threads=1)).reshape(len(X), -1)
    leaves = np.asarray(booster.predict(X, pred_leaf=True, num_threads=1)).reshape(len(X), -1)
    return "lightgbm " + lgb.__version__, list(y), list(leaves)


def sklearn_load(path):
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head[:1] == b"\x80":
        try:
            with open(path, "rb") as fh:
                return pickle.load(fh)
        except Exception:  # a joblib file that starts like a pickle
            pass
    import joblib

    return joblib.load(path)


def sklearn_predict(path, X):
    import sklearn

    model = sklearn_load(path)
    name = type(model).__name__
    if "Classifier" in name:

        def outputs(Xs):
            p = model.predict_proba(Xs)
            if name.startswith(("Gradient", "HistGradient")) and p.shape[1] == 2:
                p = p[:, 1:]
            return p

    else:

        def outputs(Xs):
            return model.predict(Xs)

    y = by_groups(X, outputs)
    leaves = [None] * len(X)
    if hasattr(model, "apply") and not name.startswith("HistGradient"):

        def apply(Xs):
            return np.asarray(model.apply(Xs)).reshape(len(Xs), -1)

        leaves = by_groups(X, apply)
    return "scikit-learn " + sklearn.__version__, y, leaves


def catboost_predict(path, X):
    import catboost as cb

    model = cb.CatBoost()
    model.load_model(path, format="json")
    loss = (model.get_all_params() or {}).get("loss_function", "")
    if loss in ("Logloss", "CrossEntropy", "MultiClass", "MultiClassOneVsAll"):
        y = np.asarray(model.predict(X, prediction_type="Probability", thread_count=1)).reshape(len(X), -1)
        if y.shape[1] == 2 and loss in ("Logloss", "CrossEntropy"):
            y = y[:, 1:]
    else:
        y = np.asarray(model.predict(X, thread_count=1)).reshape(len(X), -1)
    leaves = np.asarray(model.calc_leaf_indexes(cb.Pool(X), thread_count=1)).reshape(len(X), -1)
    return "catboost " + cb.__version__, list(y), list(leaves)


def onnx_predict(path, X):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    feed = X.astype(np.float64) if inp.type == "tensor(double)" else X
    outs = sess.run(None, {inp.name: feed})
    metas = sess.get_outputs()
    y = None
    for meta, val in zip(metas, outs):
        if meta.type.startswith("seq(map"):
            keys = sorted(val[0].keys())
            y = np.array([[r[k] for k in keys] for r in val], dtype=F32)
    if y is None:
        cands = [(m, v) for m, v in zip(metas, outs) if m.type in ("tensor(float)", "tensor(double)")]
        if not cands:
            sys.exit("%s: the ONNX model has no float output" % path)
        # Classifiers: the scores are the last float tensor.
        y = np.asarray(cands[-1][1])
    y = y.reshape(len(X), -1)
    return "onnxruntime " + ort.__version__, list(y), [None] * len(X)


PREDICT = {
    "xgboost": xgboost_predict,
    "lightgbm": lightgbm_predict,
    "sklearn": sklearn_predict,
    "catboost": catboost_predict,
    "onnx": onnx_predict,
}


def fmt(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def predictions_text(model, vectors):
    """The predictions.csv text for a model file and a vectors file."""
    X = read_vectors(vectors)
    kind = detect(model)
    framework, y, leaves = PREDICT[kind](model, X)
    n_out = max((len(r) for r in y if r is not None), default=0)
    n_leaf = max((len(r) for r in leaves if r is not None), default=0)
    lines = [
        "# timber oracle predictions v1",
        "# framework: " + framework,
        "# model sha256: " + sha256(model),
        "# vectors sha256: " + sha256(vectors),
        ",".join(["row"] + ["y%d" % i for i in range(n_out)] + ["t%d" % i for i in range(n_leaf)]),
    ]
    for i in range(len(X)):
        cells = [str(i)]
        cells += [fmt(v) for v in y[i]] if y[i] is not None else [""] * n_out
        cells += [str(int(v)) for v in leaves[i]] if leaves[i] is not None else [""] * n_leaf
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Predict timber's verification vectors with the model's own framework "
        "(the evidence `timber certify --oracle` compares against).",
        epilog="Example: timber vectors model.json --out vectors.csv && "
        "python3 scripts/oracle.py model.json vectors.csv --out predictions.csv",
    )
    ap.add_argument("model", help="the model file (format detected from its content)")
    ap.add_argument("vectors", help="the CSV written by `timber vectors`")
    ap.add_argument("--out", required=True, help="predictions.csv to write")
    args = ap.parse_args(argv)
    text = predictions_text(args.model, args.vectors)
    with open(args.out, "w", encoding="ascii", newline="\n") as fh:
        fh.write(text)
    print("wrote %s (%s)" % (args.out, text.splitlines()[1][2:]), file=sys.stderr)


if __name__ == "__main__":
    main()
