"""Renderers of a :class:`~graders.results.SubmissionResult`: terminal, Markdown (and HTML)."""
