"""The web pages in a real browser: Debian's Chromium, headless, driven by Selenium 4.

End to end against ``grader serve`` on a fresh course (``grader course init``): a student signs
in, uploads a wrong module and reads its failing check with the misconception, uploads the
solution notebook and reads full marks; another student gets 404 for that attempt's URL; the
instructor finds both attempts on the gradebook and downloads a grades.csv that parses.
Screenshots of the main pages are saved under the test's temporary folder (``tmp_path``).

The browser and its driver are the system's (``/usr/bin/chromium``, ``/usr/bin/chromedriver``;
``apt-get install chromium chromium-driver``), named explicitly so that Selenium Manager never
downloads anything; the module is skipped where they are missing (macOS, say).
"""

from __future__ import annotations

import base64
import csv
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from graders.service.client import ServiceError, request_json
from graders.spec import ASSIGNMENTS_DIR

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
    pytest.skip(
        f"needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}): "
        "apt-get install chromium chromium-driver",
        allow_module_level=True,
    )
webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (the [test] extra)")

from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.slow

SLUG = "logistic-regression-from-scratch"
EXAMPLES = ASSIGNMENTS_DIR / SLUG / "examples"
_GRADER = [sys.executable, "-c", "from graders.cli import run; run()"]
_GRADING_WAIT = 120  # seconds a page may wait for a grade (the first starts the grader process)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(folder: Path, settings: str = "") -> Iterator[dict[str, str]]:
    """``grader serve`` on a fresh course of two students (``settings``: lines added to its
    assignment's table in course.toml): its URL and the tokens."""
    roster = folder / "roster.csv"
    roster.write_text("student_id,name\nada,Ada Lovelace\nalan,Alan Turing\n", encoding="utf-8")
    root = folder / "course"
    subprocess.run(
        [*_GRADER, "course", "init", str(root), "--roster", str(roster), "--assignment", SLUG],
        check=True,
        capture_output=True,
    )
    if settings:
        toml = root / "course.toml"
        table = f'[assignments."{SLUG}"]\n'
        toml.write_text(
            toml.read_text(encoding="utf-8").replace(table, table + settings), encoding="utf-8"
        )
    tokens = dict(
        line.split(",", 1)
        for line in (root / "tokens.csv").read_text(encoding="utf-8").splitlines()[1:]
    )
    tokens["instructor"] = (root / "instructor.token").read_text(encoding="utf-8").strip()
    port = _free_port()
    log = folder / "serve.log"
    process = subprocess.Popen(
        [*_GRADER, "serve", str(root), "--port", str(port), "--jobs", "1"],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:  # ready once it answers (a start-up, not a timing)
            try:
                request_json(f"{url}/api/health", "-")
                break
            except ServiceError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(log.read_text()) from None
                time.sleep(0.1)
        yield {"url": url, **tokens}
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """``grader serve`` on a fresh course of two students: its URL and the tokens."""
    yield from _serve(tmp_path_factory.mktemp("browser"))


#: The check whose explanation waits for the instructor's "Publish hidden results".
LATER = "gradient_step_matches_reference"


@pytest.fixture
def publishing_server(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The same, with :data:`LATER` shown only once published."""
    (tmp_path / "serving").mkdir()
    yield from _serve(tmp_path / "serving", f'visibility = {{ {LATER} = "after_published" }}\n')


def _chromium(downloads: Path, *, javascript: bool = True) -> WebDriver:
    """Headless Chromium whose downloads land in ``downloads``."""
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # we run as root in CI containers
        "--disable-dev-shm-usage",
        "--window-size=1280,1600",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # CSP reports land there
    prefs: dict[str, object] = {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
    }
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2  # blocked
    options.add_experimental_option("prefs", prefs)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    return driver


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebDriver]:
    """Headless Chromium whose downloads land in ``tmp_path / "downloads"``."""
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager: never reach the network
    (tmp_path / "downloads").mkdir()
    driver = _chromium(tmp_path / "downloads")
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser_without_javascript(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[WebDriver]:
    """The same Chromium with JavaScript blocked."""
    monkeypatch.setenv("SE_OFFLINE", "true")
    driver = _chromium(tmp_path, javascript=False)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: WebDriver, seconds: float, condition: Callable[[WebDriver], object]) -> None:
    """Wait until ``condition`` holds. A page being replaced (a reload, a redirect) can make a
    look at it fail with any WebDriver error (a stale element, a lost JavaScript context): such
    a look counts as "not yet"."""
    WebDriverWait(driver, seconds, ignored_exceptions=(WebDriverException,)).until(condition)


def _screenshot(driver: WebDriver, path: Path) -> None:
    """The whole page (beyond the window) as a PNG, through the DevTools protocol.

    Chromium sometimes aborts a capture beyond the window ("aborted by navigation" while it
    resizes the page); the window alone is then saved: a screenshot is an artefact, not a check.
    """
    try:
        shot = driver.execute_cdp_cmd(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
        )
        path.write_bytes(base64.b64decode(shot["data"]))
    except WebDriverException:
        assert driver.save_screenshot(str(path))


def _sign_in(driver: WebDriver, url: str, token: str) -> None:
    driver.get(f"{url}/signin")
    field = driver.find_element(By.ID, "token")
    assert driver.find_element(By.CSS_SELECTOR, "label[for=token]").text == "Course token"
    field.send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    _wait(driver, 10, lambda d: "Signed in as" in d.page_source)


def _sign_out(driver: WebDriver) -> None:
    driver.find_element(By.CSS_SELECTOR, "form[action='/signout'] button").click()
    _wait(driver, 10, lambda d: d.current_url.endswith("/signin"))


def _upload_and_wait(driver: WebDriver, url: str, path: Path) -> int:
    """Upload ``path`` on the assignment page; wait for its feedback; the attempt's id."""
    driver.get(f"{url}/assignments/{SLUG}")
    driver.find_element(By.ID, "file").send_keys(str(path))
    driver.find_element(By.CSS_SELECTOR, "form.upload button[type=submit]").click()
    _wait(driver, 10, lambda d: "/attempts/" in d.current_url)
    attempt = int(driver.current_url.rstrip("/").rsplit("/", 1)[1])
    # attempt.js reloads the page once graded: an element may go stale meanwhile
    _wait(
        driver,
        _GRADING_WAIT,
        lambda d: d.find_element(By.ID, "status").get_attribute("data-status") == "graded",
    )
    return attempt


def test_a_student_uploads_reads_feedback_and_the_instructor_sees_the_class(
    server: dict[str, str], browser: WebDriver, tmp_path: Path
) -> None:
    url = server["url"]
    shots = tmp_path / "screenshots"
    shots.mkdir()

    _sign_in(browser, url, server["ada"])
    assert "token" not in browser.current_url
    browser.get(f"{url}/assignments/{SLUG}")
    assert browser.find_element(By.TAG_NAME, "h1").text
    _screenshot(browser, shots / "assignment.png")

    wrong = _upload_and_wait(browser, url, EXAMPLES / "descent_sign.py")
    check = browser.find_element(By.ID, "c-gradient_step_matches_reference")
    assert "failed" in check.text
    assert "Likely misconception:" in check.find_element(By.CLASS_NAME, "diagnosis").text
    _screenshot(browser, shots / "feedback-wrong.png")

    right = _upload_and_wait(browser, url, EXAMPLES / "solution.ipynb")
    score = browser.find_element(By.CLASS_NAME, "score").text
    got, total = (float(x) for x in score.split(" / "))
    assert got == total > 0
    assert not browser.find_elements(By.CLASS_NAME, "diagnosis")
    _screenshot(browser, shots / "feedback-right.png")

    browser.get(f"{url}/assignments/{SLUG}")
    counting = browser.find_element(By.CSS_SELECTOR, "tr.counting")
    assert f"#{right}" in counting.text
    _sign_out(browser)

    _sign_in(browser, url, server["alan"])  # another student, by URL: 404
    browser.get(f"{url}/attempts/{wrong}")
    assert browser.find_element(By.TAG_NAME, "h1").text == "No such attempt"
    assert "Likely misconception" not in browser.page_source
    _sign_out(browser)

    _sign_in(browser, url, server["instructor"])
    browser.get(f"{url}/class/{SLUG}")
    assert browser.find_elements(By.CSS_SELECTOR, "svg rect.hbar")
    assert "gradient_step_matches_reference" in browser.page_source  # its failure rate
    recent = browser.find_element(By.ID, "recent").text
    assert f"#{wrong}" in recent and f"#{right}" in recent
    _screenshot(browser, shots / "class.png")
    browser.get(f"{url}/class/{SLUG}/gradebook?sort=score&order=desc")
    _screenshot(browser, shots / "gradebook.png")
    first = browser.find_element(By.CSS_SELECTOR, "#gradebook tbody tr")
    assert first.text.startswith("ada") and " 2 " in f" {first.text} "
    first.find_element(By.LINK_TEXT, "ada").click()
    history = browser.find_element(By.TAG_NAME, "main").text
    assert f"#{wrong}" in history and f"#{right}" in history
    _screenshot(browser, shots / "student.png")

    browser.get(f"{url}/class/{SLUG}/gradebook")
    browser.find_element(By.LINK_TEXT, "Download grades.csv").click()
    saved = tmp_path / "downloads" / f"{SLUG}-grades.csv"
    _wait(browser, 30, lambda _: saved.is_file())
    with saved.open(encoding="utf-8", newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert float(rows["ada"]["total"]) == float(rows["ada"]["max_score"])
    assert "ada" in rows
    for name in ("assignment", "feedback-wrong", "feedback-right", "class", "gradebook"):
        assert (shots / f"{name}.png").stat().st_size > 0


def test_the_pages_break_no_rule_of_their_content_security_policy(
    server: dict[str, str], browser: WebDriver
) -> None:
    url = server["url"]
    _sign_in(browser, url, server["instructor"])
    for page in ("/", f"/assignments/{SLUG}", f"/class/{SLUG}", f"/class/{SLUG}/gradebook"):
        browser.get(f"{url}{page}")
        assert browser.find_element(By.TAG_NAME, "main")
    _sign_out(browser)
    logged = [entry["message"] for entry in browser.get_log("browser")]
    assert not [m for m in logged if "Content Security Policy" in m], logged


_DROP = """
const transfer = new DataTransfer();
transfer.items.add(new File([arguments[0]], "dropped.py", {type: "text/x-python"}));
const form = document.querySelector("form.upload");
form.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
return document.getElementById("file").files.length;
"""


def test_a_file_dropped_on_the_upload_form_is_uploaded(
    server: dict[str, str], browser: WebDriver
) -> None:
    url = server["url"]
    _sign_in(browser, url, server["alan"])
    browser.get(f"{url}/assignments/{SLUG}")
    note = browser.find_element(By.CLASS_NAME, "dropped")
    assert note.text == "You can also drop the file on this box."
    assert browser.execute_script(_DROP, "def sigmoid(x):\n    return x\n") == 1
    assert note.text == "Chosen: dropped.py"
    browser.find_element(By.CSS_SELECTOR, "form.upload button[type=submit]").click()
    _wait(browser, 10, lambda d: "/attempts/" in d.current_url)
    assert "dropped.py" in browser.find_element(By.TAG_NAME, "main").text


def test_without_javascript_the_page_refreshes_itself_and_shows_the_feedback(
    server: dict[str, str], browser_without_javascript: WebDriver
) -> None:
    browser, url = browser_without_javascript, server["url"]
    _sign_in(browser, url, server["alan"])
    browser.get(f"{url}/assignments/{SLUG}")
    assert browser.find_element(By.CLASS_NAME, "dropped").text == ""  # upload.js did not run
    attempt = _upload_and_wait(browser, url, EXAMPLES / "descent_sign.py")  # the <noscript> refresh
    assert browser.current_url == f"{url}/attempts/{attempt}"
    check = browser.find_element(By.ID, "c-gradient_step_matches_reference")
    assert "Likely misconception:" in check.text


def test_the_instructor_publishes_and_the_student_then_reads_the_hidden_explanation(
    publishing_server: dict[str, str], browser: WebDriver, tmp_path: Path
) -> None:
    server, url = publishing_server, publishing_server["url"]
    _sign_in(browser, url, server["ada"])
    attempt = _upload_and_wait(browser, url, EXAMPLES / "descent_sign.py")
    check = browser.find_element(By.ID, f"c-{LATER}")
    assert "feedback is hidden" in check.text and "Likely misconception" not in check.text
    _sign_out(browser)

    _sign_in(browser, url, server["instructor"])
    browser.get(f"{url}/class/{SLUG}")
    assert browser.find_element(By.ID, "published").text.startswith("no")
    browser.find_element(By.XPATH, "//button[text()='Publish hidden results']").click()
    _wait(browser, 10, lambda d: "Published: students now see" in d.page_source)
    assert browser.find_element(By.ID, "published").text.startswith("yes")
    assert browser.find_element(By.XPATH, "//button[text()='Withdraw']")
    _screenshot(browser, tmp_path / "class-published.png")
    _sign_out(browser)

    _sign_in(browser, url, server["ada"])
    browser.get(f"{url}/attempts/{attempt}")
    check = browser.find_element(By.ID, f"c-{LATER}")
    assert "Likely misconception:" in check.text and "feedback is hidden" not in check.text
