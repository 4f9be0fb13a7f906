"""Automated, isolated grader for the "MLE and logistic regression" section."""

__all__ = ["__version__"]
__version__ = "0.1.0"
