# A module as many students hand it in: pyplot imported at the top, plotting code at module level
# between the functions. In Jupyter it runs; the grader must run it too (Agg backend, nothing
# shown) instead of losing every definition after the import.
import matplotlib.pyplot as plt
import numpy as np


def predict_y(X, w):
    return np.asarray(X, dtype=float) @ np.asarray(w, dtype=float)


def sigmoid(x):
    x = np.asarray(x, dtype=float)
    out = np.exp(-np.logaddexp(0.0, -x))  # 1 / (1 + e^-x) without overflow
    return float(out) if out.ndim == 0 else out


z = np.linspace(-8, 8, 200)
fig, axes = plt.subplots(1, 2, figsize=(9, 3))
axes[0].plot(z, sigmoid(z), label="sigmoid")
axes[0].axhline(0.5, linestyle="--", color="grey")
axes[0].legend()


def log_likelihood(X, y, w):
    z = predict_y(X, w)
    y = np.asarray(y, dtype=float)
    return float(np.sum(y * z - np.logaddexp(0.0, z)))


def gradient_step(X, y, w, alpha):
    X = np.asarray(X, dtype=float)
    error = np.asarray(y, dtype=float) - sigmoid(predict_y(X, w))
    return np.asarray(w, dtype=float) + alpha * (X.T @ error)


def grad_desc(X, y, max_iterations, alpha, initial_weights=None):
    X = np.asarray(X, dtype=float)
    w = np.ones(X.shape[1]) if initial_weights is None else np.asarray(initial_weights, float)
    history = []
    for _ in range(max_iterations):
        w = gradient_step(X, y, w, alpha)
        history.append(log_likelihood(X, y, w))
    return w, history


rng = np.random.default_rng(0)
X_demo = np.column_stack([np.ones(40), rng.normal(size=40)])
y_demo = (X_demo[:, 1] + rng.normal(scale=0.5, size=40) > 0).astype(float)
weights, history = grad_desc(X_demo, y_demo, 100, 0.01)
axes[1].plot(history)
axes[1].set_xlabel("iteration")
axes[1].set_ylabel("log-likelihood")
plt.tight_layout()
plt.savefig("training.png")
plt.show()
plt.close("all")
