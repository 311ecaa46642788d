"""Train the bundled demo run (examples/run) from the table export-features.ts wrote.

Pooled over the four symbols (view CROSS_SECTIONAL). Per return target fwd_ret_{5,15,30,60}m:
LightGBM (model.txt), XGBoost (model.json) and a small MLP exported to ONNX (model.onnx); per
barrier target will_peak_{5,15}m / will_valley_{5,15}m: a LightGBM binary classifier. Models are fitted
on the 'train' rows (purged: a row whose target window reaches the holdout is dropped) and
scored on the 'holdout' rows (the last 25% of the last training day). Writes the run layout of
SPEC 6.1/6.2 and examples/run/parity.json (the libraries' own predictions for parity.csv).

Everything is single-threaded with fixed seeds: a rerun writes the same bytes (checked by
make-demo-run.sh --check). See README.md for the exact command.
"""
import csv
import hashlib
import json
import os
import shutil
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import lightgbm as lgb
import xgboost as xgb
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from scipy.stats import pearsonr, rankdata, spearmanr

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CFG = json.load(open(os.path.join(HERE, "demo-config.json")))
WORK = os.path.join(HERE, ".work")
OUT = os.path.join(ROOT, "examples", "run")
VIEW = "CROSS_SECTIONAL"
SEED = 7

LGB_BASE = dict(num_threads=1, deterministic=True, force_col_wise=True, seed=SEED, verbose=-1, max_depth=4,
                num_leaves=15, learning_rate=0.05, min_data_in_leaf=50, feature_fraction=0.8, bagging_fraction=0.8,
                bagging_freq=1, lambda_l2=1.0)
N_TREES = 60


def load_table(path, features):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    col = lambda name: np.array([float(r[name]) if r[name] != "" else np.nan for r in rows])
    return {
        "symbol": np.array([r["symbol"] for r in rows]),
        "ts": np.array([int(r["ts"]) for r in rows], dtype=np.int64),
        "split": np.array([r.get("split", "") for r in rows]),
        "X": np.column_stack([col(n) for n in features]),
        "y": {name: col(name) for name in rows[0] if name.startswith(("fwd_ret_", "will_"))},
    }


# ---------------------------------------------------------------- metrics

def metrics(pred, y, symbols, n_train, classifier):
    """mean_IC: pooled Spearman over the holdout (4 symbols make per-timestamp cross-sectional ICs
    meaningless); mean_RankIC: mean of the per-symbol Spearman ICs; IC_IR: their mean / sample std.
    Every value is a number (IC_<SYMBOL> is left out when a symbol's prediction or label is constant)."""
    def spearman(a, b):  # None when either side is constant (e.g. no positive label for a symbol)
        return None if np.ptp(a) == 0 or np.ptp(b) == 0 else float(spearmanr(a, b)[0])
    per_symbol = {s: spearman(pred[symbols == s], y[symbols == s]) for s in CFG["symbols"]}
    ics = np.array([ic for ic in per_symbol.values() if ic is not None])
    m = {
        "mean_IC": spearman(pred, y) or 0.0,
        "mean_RankIC": float(ics.mean()),
        "IC_IR": float(ics.mean() / ics.std(ddof=1)) if ics.std(ddof=1) > 0 else 0.0,
        "pearson_IC": float(pearsonr(pred, y)[0]),
        **{f"IC_{s}": ic for s, ic in per_symbol.items() if ic is not None},
        "n_train": int(n_train),
        "n_holdout": int(len(y)),
    }
    if classifier:
        ranks = rankdata(pred)
        pos = y == 1
        auc = (ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum())
        p = np.clip(pred, 1e-15, 1 - 1e-15)
        m.update(auc=float(auc), base_rate=float(y.mean()), logloss=float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))))
    else:
        m["rmse"] = float(np.sqrt(np.mean((pred - y) ** 2)))
    return {k: (round(v, 10) if isinstance(v, float) else v) for k, v in m.items()}


# ---------------------------------------------------------------- families

def fit_lightgbm(X, y, features, path, classifier):
    params = dict(LGB_BASE, objective="binary" if classifier else "regression")
    booster = lgb.train(params, lgb.Dataset(X, y, feature_name=features, free_raw_data=False), num_boost_round=N_TREES)
    booster.save_model(path)
    return lambda Z: booster.predict(Z)


def fit_xgboost(X, y, features, path):
    params = dict(objective="reg:squarederror", max_depth=4, eta=0.05, nthread=1, tree_method="hist", seed=SEED,
                  min_child_weight=50.0, subsample=1.0, colsample_bytree=0.8, base_score=float(np.mean(y)))
    booster = xgb.train(params, xgb.DMatrix(X, y), num_boost_round=N_TREES)
    booster.feature_names = features
    booster.save_model(path)
    booster.feature_names = None  # predict on bare arrays, as the engine does
    return lambda Z: booster.predict(xgb.DMatrix(Z))


def fit_mlp(X, y, features, path, hidden=8, epochs=400, lr=0.01, decay=1e-3):
    """F -> hidden (tanh) -> 1, full-batch Adam in float64. Inputs are standardised and clipped to
    +-5 inside the ONNX graph; the target is scaled to unit std and the scale folded into w2/b2."""
    mu, sd = X.mean(0), X.std(0)
    sd[sd == 0] = 1.0
    Z = np.clip((X - mu) / sd, -5, 5)
    ym, ys = y.mean(), y.std()
    t = (y - ym) / ys
    rng = np.random.default_rng(SEED)
    params = [rng.normal(0, 1 / np.sqrt(X.shape[1]), (X.shape[1], hidden)), np.zeros(hidden),
              rng.normal(0, 1 / np.sqrt(hidden), (hidden, 1)), np.zeros(1)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for step in range(1, epochs + 1):
        w1, b1, w2, b2 = params
        h = np.tanh(Z @ w1 + b1)
        err = (h @ w2 + b2)[:, 0] - t
        g_out = (2 / len(t)) * err[:, None]
        g_h = (g_out @ w2.T) * (1 - h ** 2)
        grads = [Z.T @ g_h + decay * w1, g_h.sum(0), h.T @ g_out + decay * w2, g_out.sum(0)]
        for i, g in enumerate(grads):
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g * g
            params[i] = params[i] - lr * (m[i] / (1 - 0.9 ** step)) / (np.sqrt(v[i] / (1 - 0.999 ** step)) + 1e-8)
    w1, b1, w2, b2 = params
    f32 = lambda a: np.asarray(a, dtype=np.float32)
    init = lambda name, a: numpy_helper.from_array(f32(a), name)
    nodes = [helper.make_node("Sub", ["input", "mu"], ["c"]), helper.make_node("Mul", ["c", "inv_sd"], ["z0"]),
             helper.make_node("Clip", ["z0", "lo", "hi"], ["z"]), helper.make_node("MatMul", ["z", "w1"], ["h0"]),
             helper.make_node("Add", ["h0", "b1"], ["h1"]), helper.make_node("Tanh", ["h1"], ["h"]),
             helper.make_node("MatMul", ["h", "w2"], ["o0"]), helper.make_node("Add", ["o0", "b2"], ["variable"])]
    inits = [init("mu", mu), init("inv_sd", 1 / sd), init("lo", -5.0), init("hi", 5.0), init("w1", w1), init("b1", b1),
             init("w2", w2 * ys), init("b2", b2 * ys + ym)]
    graph = helper.make_graph(nodes, "demo_mlp", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", len(features)])],
                              [helper.make_tensor_value_info("variable", TensorProto.FLOAT, ["N", 1])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="scripts/demo-run/train.py")
    model.ir_version = 8
    helper.set_model_props(model, {"feature_names": ",".join(features)})
    onnx.checker.check_model(model)
    onnx.save(model, path)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    predict = lambda Q: session.run(None, {"input": Q.astype(np.float32)})[0][:, 0].astype(np.float64)
    # float32 numpy cross-check of the graph against the float64 training forward pass
    ref = (np.tanh(np.clip((X - mu) / sd, -5, 5) @ w1 + b1) @ w2 + b2)[:, 0] * ys + ym
    assert np.allclose(predict(X), ref, rtol=1e-3, atol=1e-6 * ys), "ONNX graph disagrees with the numpy MLP"
    return predict


# ---------------------------------------------------------------- layout

def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, allow_nan=False)
        f.write("\n")


def main():
    features = CFG["features"]
    meta_in = json.load(open(os.path.join(WORK, "train.meta.json")))
    assert meta_in["features"] == features, "train.csv was exported with another feature list: rerun export-features.ts"
    table = load_table(os.path.join(WORK, "train.csv"), features)
    parity = load_table(os.path.join(WORK, "parity.csv"), features)
    holdout_start = meta_in["holdout_start_ts"]

    run_root = os.path.join(OUT, "runs", CFG["run_id"], CFG["timestamp"])
    shutil.rmtree(os.path.join(OUT, "runs"), ignore_errors=True)
    target_index, summary, parity_out = {}, {}, {}
    jobs = [(t, h, False) for t, h in CFG["return_horizons_minutes"].items()]
    jobs += [(f"will_{kind}_{h}m", h, True) for h in CFG["barrier"]["horizons_minutes"] for kind in ("peak", "valley")]
    for target, horizon, classifier in jobs:
        y_all = table["y"][target]
        ok = np.isfinite(y_all)
        train = ok & (table["split"] == "train") & (table["ts"] + horizon * 60_000 < holdout_start)
        hold = ok & (table["split"] == "holdout")
        X, y = table["X"][train], y_all[train]
        families = {"LightGBM": "model.txt"} if classifier else {"LightGBM": "model.txt", "XGBoost": "model.json", "MLP": "model.onnx"}
        for family, filename in families.items():
            d = os.path.join(run_root, "targets", target, "models", f"view={VIEW}", f"family={family}")
            os.makedirs(d, exist_ok=True)
            path = os.path.join(d, filename)
            if family == "LightGBM":
                predict = fit_lightgbm(X, y, features, path, classifier)
            elif family == "XGBoost":
                predict = fit_xgboost(X, y, features, path)
            else:
                predict = fit_mlp(X, y, features, path)
            m = metrics(predict(table["X"][hold]), y_all[hold], table["symbol"][hold], train.sum(), classifier)
            write_json(os.path.join(d, "model_meta.json"), {
                "family": family, "target": target, "feature_list": sorted(features), "features": features,
                "n_features": len(features), "metrics": m, "model_checksum": sha256(path), "interval_minutes": 1,
                "input_mode": "features", "view": VIEW,
            })
            summary[f"{target}/{family}"] = {k: m[k] for k in ("mean_IC", "mean_RankIC", "IC_IR", "auc") if k in m}
            parity_out[f"{target}/{family}"] = [float(p) for p in predict(parity["X"])]
        target_index[target] = {"status": "ok", "families_trained": list(families), "view": VIEW}
    write_json(os.path.join(run_root, "manifest.json"), {"run_id": CFG["run_id"], "timestamp": CFG["timestamp"], "target_index": target_index})
    write_json(os.path.join(OUT, "parity.json"), {
        "note": "predictions of the training libraries (lightgbm Booster.predict, xgboost Booster.predict float32, "
                "onnxruntime float32) for rows built by export-features.ts at replay-day instants",
        "libraries": {"lightgbm": lgb.__version__, "xgboost": xgb.__version__, "onnxruntime": ort.__version__},
        "run_root": os.path.relpath(run_root, OUT), "features": features,
        "rows": [{"symbol": s, "ts": int(t), "values": [float(v) for v in x]} for s, t, x in zip(parity["symbol"], parity["ts"], parity["X"])],
        "predictions": parity_out,
    })
    for key, m in summary.items():
        print(f"{key:32s} " + " ".join(f"{k}={v:+.4f}" for k, v in m.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
