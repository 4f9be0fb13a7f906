"""Benchmark the feedback notebook's HTML page against nbconvert's stock HTMLExporter.

    python benchmarks/feedback_notebook.py            # the samples of every assignment, 5 rounds
    python benchmarks/feedback_notebook.py --rounds 9

Both exporters render the same feedback notebooks (every sample submission, graded once) in the
same process, alternating page by page; the medians per page and the median of the paired ratios
ours / stock are printed. The pages' bodies are also compared (as BeautifulSoup serialises
them): the faster exporter must give nbconvert's page.

Our exporter remembers what its Markdown, sanitising and highlighting filters gave for a cell
(a cohort's notebooks share the handout's cells), so the first round, where each page's cells
are new to it except for those earlier samples share, is reported apart from the later rounds.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

from graders.engine import grade_path
from graders.report.notebook import feedback_notebook, render_html
from graders.spec import available_assignments, load_assignment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds over the samples")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    notebooks = []
    for slug in available_assignments():
        assignment = load_assignment(slug)
        for path in sorted((assignment.directory / "examples").glob("*.ipynb")):
            notebooks.append(feedback_notebook(path, grade_path(path, assignment)))
    stock = HTMLExporter(sanitize_html=True)
    render_html(notebooks[0]), stock.from_notebook_node(notebooks[0])  # each builds once
    first_round: list[float] = []
    ours_ms: list[float] = []
    stock_ms: list[float] = []
    ratios: list[float] = []
    differ = 0
    for round_ in range(args.rounds):
        for nb in notebooks:
            started = time.perf_counter()
            page = render_html(nb)
            middle = time.perf_counter()
            reference, _ = stock.from_notebook_node(nb)
            ended = time.perf_counter()
            (first_round if round_ == 0 else ours_ms).append(1000 * (middle - started))
            stock_ms.append(1000 * (ended - middle))
            ratios.append((middle - started) / (ended - middle))
            body = BeautifulSoup(page, features="html.parser").body
            differ += str(body) != str(BeautifulSoup(reference, features="html.parser").body)
    print(f"{len(notebooks)} feedback notebooks x {args.rounds} rounds")
    print(f"  ours   median {statistics.median(first_round):6.1f} ms/page, first round")
    if ours_ms:
        print(f"  ours   median {statistics.median(ours_ms):6.1f} ms/page, later rounds")
    print(f"  stock  median {statistics.median(stock_ms):6.1f} ms/page")
    print(f"  median paired ratio ours/stock {statistics.median(ratios):.2f} (every round)")
    print(f"  pages whose body differs from nbconvert's: {differ}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
