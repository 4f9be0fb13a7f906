"""reference.regularization: test AUC against C, against a direct sklearn loop and our roc_auc."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from reference.data import breast_cancer_split
from reference.metrics import roc_auc
from reference.regularization import auc_by_C


@pytest.fixture(scope="module")
def split():  # type: ignore[no-untyped-def]
    return breast_cancer_split()


def test_auc_by_C_matches_a_direct_sklearn_loop_and_our_roc_auc(split) -> None:  # type: ignore[no-untyped-def]
    X_train, X_test, y_train, y_test = split
    Cs = [1e-3, 1e-1, 1.0, 100.0]
    aucs = auc_by_C(X_train, y_train, X_test, y_test, Cs)
    assert aucs.shape == (4,) and aucs.dtype == np.float64
    for c, value in zip(Cs, aucs, strict=True):
        model = LogisticRegression(C=c, max_iter=10_000).fit(X_train, y_train)
        proba = model.predict_proba(X_test)[:, 1]
        assert value == roc_auc_score(y_test, proba)
        assert value == pytest.approx(roc_auc(y_test, proba), rel=1e-12)
    assert np.all((aucs > 0.9) & (aucs <= 1.0))


def test_auc_by_C_validates_its_arguments(split) -> None:  # type: ignore[no-untyped-def]
    X_train, X_test, y_train, y_test = split
    with pytest.raises(ValueError, match="every C in Cs must be > 0"):
        auc_by_C(X_train, y_train, X_test, y_test, [1.0, 0.0])
    with pytest.raises(ValueError, match="same columns"):
        auc_by_C(X_train, y_train, X_test[:, :5], y_test, [1.0])
