"""Classification figures for an adapter: macro-F1, accuracy, per-class P/R/F1, confusion matrix."""

from collections.abc import Sequence

import numpy as np


def classification_metrics(*, labels: Sequence[str], y_true: Sequence[str], y_pred: Sequence[str]) -> dict:
    """Figures of ``y_pred`` against ``y_true``. Confusion rows are true labels, columns predicted."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for truth, predicted in zip(y_true, y_pred, strict=True):
        matrix[index[truth], index[predicted]] += 1
    return metrics_from_confusion(labels=labels, matrix=matrix)


def metrics_from_confusion(*, labels: Sequence[str], matrix: np.ndarray) -> dict:
    true_positive = np.diag(matrix).astype(float)
    predicted = matrix.sum(axis=0).astype(float)
    support = matrix.sum(axis=1).astype(float)
    precision = np.divide(true_positive, predicted, out=np.zeros_like(true_positive), where=predicted > 0)
    recall = np.divide(true_positive, support, out=np.zeros_like(true_positive), where=support > 0)
    denominator = precision + recall
    f1 = np.divide(2 * precision * recall, denominator, out=np.zeros_like(denominator), where=denominator > 0)
    n = int(matrix.sum())
    return {
        "n": n,
        "accuracy": round(float(true_positive.sum() / n), 4) if n else 0.0,
        "macro_f1": round(float(f1.mean()), 4),
        "per_class": {
            label: {
                "precision": round(float(precision[i]), 4),
                "recall": round(float(recall[i]), 4),
                "f1": round(float(f1[i]), 4),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        },
        "confusion_matrix": {"labels": list(labels), "rows_true_columns_predicted": matrix.tolist()},
    }


def macro_f1_fast(true_index: np.ndarray, predicted_index: np.ndarray, n_labels: int) -> tuple[float, np.ndarray]:
    """(macro-F1, per-class recall) without building the whole report: used in the offset search."""
    matrix = np.bincount(true_index * n_labels + predicted_index, minlength=n_labels * n_labels).reshape(
        n_labels, n_labels
    )
    true_positive = np.diag(matrix).astype(float)
    predicted = matrix.sum(axis=0)
    support = matrix.sum(axis=1)
    precision = np.divide(true_positive, predicted, out=np.zeros(n_labels), where=predicted > 0)
    recall = np.divide(true_positive, support, out=np.zeros(n_labels), where=support > 0)
    denominator = precision + recall
    f1 = np.divide(2 * precision * recall, denominator, out=np.zeros(n_labels), where=denominator > 0)
    return float(f1.mean()), recall
