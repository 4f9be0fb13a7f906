"""The grading service: a course folder served over HTTP, graded by a queue of workers.

One reason to change: the service's public names. Its rooms: :mod:`~graders.service.course`
(the course folder, ``grader course init``), :mod:`~graders.service.settings` (``course.toml``),
:mod:`~graders.service.auth` (tokens), :mod:`~graders.service.store` (the service's tables:
roster, token hashes, attempts), :mod:`~graders.service.queue` (grading workers and the
gradebook they keep), :mod:`~graders.service.view` (what a student may see of a result),
:mod:`~graders.service.app` (the HTTP API) and :mod:`~graders.service.client` (what
``grader submit`` sends and reads back). The service imports the engine, the batch task and the
gradebook; nothing below it imports the service.
"""

from graders.service.course import Course, CourseError, init_course, open_course, read_roster

__all__ = ["Course", "CourseError", "init_course", "open_course", "read_roster"]
