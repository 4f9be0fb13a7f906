"""The service grading through Dask: two worker threads sharing one cluster (issue 20)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from fastapi.testclient import TestClient  # noqa: E402

from graders.batch.shipping import dask_executor  # noqa: E402
from graders.executors import Borrowed  # noqa: E402
from graders.service import open_course  # noqa: E402
from graders.service.app import create_app  # noqa: E402
from graders.service.queue import Workers  # noqa: E402
from graders.spec import load_assignment  # noqa: E402
from tests.service.conftest import EXAMPLES, make_course, tokens_of  # noqa: E402

pytestmark = pytest.mark.slow


def test_the_service_grades_through_a_shared_dask_cluster(tmp_path: Path) -> None:
    root = make_course(tmp_path)
    course = open_course(root)
    tokens = tokens_of(root)
    shared = dask_executor([load_assignment("mle")], workers=1)
    try:
        workers = Workers(course, 2, executor=lambda: Borrowed(shared))
        with TestClient(create_app(course, workers)) as client:
            ids = {}
            for student, sample in (("ada", "solution.py"), ("alan", "ddof1.py")):
                reply = client.post(
                    "/api/submissions",
                    headers={"Authorization": f"Bearer {tokens[student]}"},
                    data={"assignment": "mle"},
                    files={"file": (sample, (EXAMPLES / sample).read_bytes())},
                )
                assert reply.status_code == 201
                ids[student] = reply.json()["id"]
            documents = {}
            deadline = time.monotonic() + 240
            while len(documents) < 2 and time.monotonic() < deadline:
                for student, attempt in ids.items():
                    got = client.get(
                        f"/api/submissions/{attempt}",
                        headers={"Authorization": f"Bearer {tokens[student]}"},
                    ).json()
                    if got["status"] not in ("queued", "grading"):
                        documents[student] = got
                time.sleep(0.2)
    finally:
        shared.close()
    assert documents["ada"]["status"] == "graded" and documents["ada"]["score"] == 12.0
    assert documents["alan"]["status"] == "graded" and documents["alan"]["score"] < 12.0
    failing = [t for t in documents["alan"]["results"]["tests"] if t["status"] == "failed"]
    assert [t["extra_data"]["check_id"] for t in failing] == ["normal_mle_matches_reference"]
