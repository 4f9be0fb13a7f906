"""Deploy where courses already are: an assignment packaged as a Gradescope autograder.

``gradescope`` builds the zip an instructor uploads; ``autograde`` is what runs inside
Gradescope's container (``run_autograder`` calls it) and writes ``results/results.json``.
"""
