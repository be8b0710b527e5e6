/*
 * The printed text of each text area is a copy beside it (see _form.html): it follows what is
 * typed, and is brought up to date before printing (text put back by answers.js included).
 */
(function () {
  "use strict";

  function copyOf(area) {
    return area.id ? document.querySelector('[data-print-of="' + area.id + '"]') : null;
  }

  document.addEventListener("input", function (event) {
    var copy = event.target.tagName === "TEXTAREA" && copyOf(event.target);
    if (copy) copy.textContent = event.target.value;
  });

  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("textarea").forEach(function (area) {
      var copy = copyOf(area);
      if (copy) copy.textContent = area.value;
    });
  });
})();
