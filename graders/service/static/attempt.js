// Polls an attempt's status while it is queued or grading, and reloads the page (which then shows
// the feedback) once it is done. Without JavaScript the page's <noscript> refresh does the same.
(function () {
  "use strict";
  var element = document.getElementById("status");
  if (!element) { return; }
  var id = element.getAttribute("data-attempt");
  var shown = element.getAttribute("data-status") + "/" + element.getAttribute("data-regrading");
  var finished = ["graded", "ungradable", "error"];
  function poll() {
    fetch("/attempts/" + encodeURIComponent(id) + "/status", { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        var now = body.status + "/" + (body.regrading ? "yes" : "no");
        if (now !== shown) {
          if (finished.indexOf(body.status) >= 0 && !body.regrading) {
            window.location.reload();
            return;
          }
          var badge = element.querySelector(".badge");
          if (badge) { badge.textContent = body.status; badge.className = "badge " + body.status; }
          shown = now;
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
