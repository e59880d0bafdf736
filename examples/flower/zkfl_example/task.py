"""The clinics' task: a two-class logistic regression (softmax, 20 features: 2·20 + 2 = 42 parameters) on a
synthetic data set, generated deterministically from a seed so every process (SuperNodes, ServerApp) builds
the same data without downloading anything. Each clinic holds its own partition; the ServerApp keeps a
held-out test set for the accuracy it prints.
"""

from __future__ import annotations

import numpy as np
from flwr.app import ArrayRecord

FEATURES = 20
CLASSES = 2
#: Samples per clinic (equal sizes: FedAvg's weighted mean equals ZKFL-PQ's plain mean of the updates).
SAMPLES = 300
TEST_SAMPLES = 2000
SEED = 2026
#: Local full-batch gradient steps per round, and their step size.
LOCAL_STEPS = 10
LR = 0.5
#: The poisoning clinic sends this multiple of its honest update (sign-flipped and boosted).
POISON = -12.0


def _truth() -> np.ndarray:
    return np.random.default_rng(SEED).normal(size=FEATURES)


def _samples(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(size=(n, FEATURES)).astype(np.float32)
    logits = x @ _truth() + rng.normal(scale=1.0, size=n)
    return x, (logits > 0).astype(np.int64)


def partition(pid: int) -> tuple[np.ndarray, np.ndarray]:
    """Clinic ``pid``'s own data (0-based)."""
    return _samples(np.random.default_rng([SEED, 1, pid]), SAMPLES)


def test_set() -> tuple[np.ndarray, np.ndarray]:
    """The held-out test set."""
    return _samples(np.random.default_rng([SEED, 2]), TEST_SAMPLES)


def initial_record() -> ArrayRecord:
    """The initial model: zero weights and biases (what `zkfl serve --initial-model` is given)."""
    return ArrayRecord([np.zeros((CLASSES, FEATURES), np.float32), np.zeros(CLASSES, np.float32)])


def param_count() -> int:
    return CLASSES * FEATURES + CLASSES


def _split(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return w[: CLASSES * FEATURES].reshape(CLASSES, FEATURES), w[CLASSES * FEATURES :]


def _probs(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    weights, bias = _split(w)
    z = x @ weights.T + bias
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def train(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """LOCAL_STEPS full-batch gradient steps of the cross-entropy from ``w``; the new weights and the loss."""
    w = w.astype(np.float64).copy()
    onehot = np.eye(CLASSES)[y]
    for _ in range(LOCAL_STEPS):
        p = _probs(w, x)
        g = (p - onehot) / len(y)
        grad = np.concatenate([(g.T @ x).ravel(), g.sum(axis=0)])
        w -= LR * grad
    loss = float(-np.log(_probs(w, x)[np.arange(len(y)), y] + 1e-12).mean())
    return w.astype(np.float32), loss


def accuracy(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    return float((_probs(w.astype(np.float64), x).argmax(axis=1) == y).mean())
