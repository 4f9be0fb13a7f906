// Drag and drop onto the upload form: the dropped file becomes the file input's choice, so the
// form submits as it does without JavaScript (a plain <input type=file>).
(function () {
  "use strict";
  var form = document.querySelector("form.upload");
  if (!form) { return; }
  var input = form.querySelector("input[type=file]");
  var note = form.querySelector(".dropped");
  if (note) { note.textContent = "You can also drop the file on this box."; }
  form.addEventListener("dragover", function (event) {
    event.preventDefault();
    form.classList.add("dragging");
  });
  form.addEventListener("dragleave", function () { form.classList.remove("dragging"); });
  form.addEventListener("drop", function (event) {
    event.preventDefault();
    form.classList.remove("dragging");
    if (event.dataTransfer && event.dataTransfer.files.length === 1) {
      input.files = event.dataTransfer.files;
      if (note) { note.textContent = "Chosen: " + input.files[0].name; }
    }
  });
})();
