"""Trusted reference implementations for "MLE and logistic regression".

Imported only by ``graders.checks`` and ``graders.diagnose``, in the trusted grader process; a
submission never sees this package.

Modules
-------
logistic        sigmoid, linear predictor, log-likelihood, gradient, gradient-ascent fitting
linear_gd       RSS of ``y = m X``, its derivative, gradient descent, the lab's ``cur_x`` loop
mle             Bernoulli and normal log-likelihoods and maximum likelihood estimates
restarts        multi-start gradient descent
metrics         confusion matrix, precision/recall/accuracy/F1, ROC curve, AUC
regularization  test AUC of scikit-learn's LogisticRegression as ``C`` varies
data            deterministic data sets and the ``wiggly`` objective

Conventions shared by every function
------------------------------------
- Array arguments are array-likes: Python numbers and lists, numpy arrays, pandas Series and
  DataFrames. They are converted with a COPY to ``float64`` first, so no reference ever
  modifies (or returns a view of) a caller's data.
- A 1-D argument may be given as a single column ``(n, 1)``, e.g. a one-column DataFrame.
- Elementwise or parameter-vectorised functions return a ``float`` for a Python/NumPy scalar
  and an array (never a pandas object) otherwise; a 0-d array stays a 0-d array.
- Invalid arguments raise ``ValueError`` (or ``TypeError`` for a wrong kind of number) with the
  argument's name and the offending value or shape in the message.
- Every public function's docstring states its formula; the notebooks quote them.
"""
