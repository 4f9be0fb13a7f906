"""The bundled assignments, installed as the package data ``graders.assignments``.

Each ``<slug>/`` folder holds ``assignment.toml``, the student notebook and starter, the data
files, sample submissions (``examples/``) and the mutant catalogue. Nothing here is imported: the
package exists so ``importlib.resources`` finds the folders in a wheel as in a checkout.
"""
