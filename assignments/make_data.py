"""Regenerate the assignments' data files (deterministic; run from anywhere, commit the output).

    .venv/bin/python assignments/make_data.py

Writes

- ``logistic-regression-from-scratch/data/breast_cancer_train.csv``
- ``model-comparisons/data/breast_cancer_train.csv`` and ``breast_cancer_test.csv``
- ``gradient-descent/data/linear.csv``

The breast-cancer files come from scikit-learn's bundled copy of the Wisconsin diagnostic data
(no download): a stratified split (``test_size=0.25, random_state=0``), every feature standardised
with the TRAINING mean and standard deviation only (the test set must not leak into the scaling),
columns ``f0`` .. ``f29`` and ``target`` coded as scikit-learn codes it (0 = malignant,
1 = benign).

Standardised values are rounded to ``DECIMALS`` places before writing, then written with Python's
shortest round-trip ``repr``: what a student reads back is exactly what the reference reads back,
and the training file stays under 200 KB (unrounded, 17 significant digits made it ~270 KB).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

HERE = Path(__file__).resolve().parent
DECIMALS = 8
MAX_BYTES = 200_000


def breast_cancer_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Standardised train and test frames with columns f0..f29 and target."""
    data = load_breast_cancer()
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.25, random_state=0, stratify=data.target
    )
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)  # ddof=0, as StandardScaler does
    columns = [f"f{j}" for j in range(X_train.shape[1])]

    def frame(X: np.ndarray, y: np.ndarray) -> pd.DataFrame:
        df = pd.DataFrame(np.round((X - mean) / std, DECIMALS), columns=columns)
        df["target"] = y.astype(int)
        return df

    return frame(X_train, y_train), frame(X_test, y_test)


def linear_frame() -> pd.DataFrame:
    """50 points with y = 2.5 x + Gaussian noise (sd 2), x evenly spaced on [0, 10], seed 0."""
    rng = np.random.default_rng(0)
    x = np.linspace(0.0, 10.0, 50)
    y = 2.5 * x + rng.normal(0.0, 2.0, size=x.shape)
    return pd.DataFrame({"x": x, "y": np.round(y, DECIMALS)})


def write(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` as CSV (no index, round-trip floats) and refuse to exceed ``MAX_BYTES``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, lineterminator="\n")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{path} is {size} bytes, over the {MAX_BYTES}-byte budget")
    print(f"wrote {path.relative_to(HERE)} ({len(df)} rows, {size} bytes)")


def main() -> None:
    train, test = breast_cancer_frames()
    write(train, HERE / "logistic-regression-from-scratch" / "data" / "breast_cancer_train.csv")
    write(train, HERE / "model-comparisons" / "data" / "breast_cancer_train.csv")
    write(test, HERE / "model-comparisons" / "data" / "breast_cancer_test.csv")
    write(linear_frame(), HERE / "gradient-descent" / "data" / "linear.csv")


if __name__ == "__main__":
    main()
