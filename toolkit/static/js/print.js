/*
 * The printed text of each text area is a copy beside it (see _form.html): it follows what is
 * typed, and is brought up to date before printing (text put back by answers.js included).
 * A question with neither an answer nor "not applicable" is marked "unanswered", which prints
 * "Not answered yet." (_questions.html).
 */
(function () {
  "use strict";

  function copyOf(area) {
    return area.id ? document.querySelector('[data-print-of="' + area.id + '"]') : null;
  }

  function answered(question) {
    var fields = question.querySelectorAll('[name$="__value"], [name$="__na"]');
    return Array.prototype.some.call(fields, function (field) {
      if (field.type === "radio" || field.type === "checkbox") return field.checked;
      return field.value.trim() !== "";
    });
  }

  function mark(question) {
    if (question) question.classList.toggle("unanswered", !answered(question));
  }

  function markAll() {
    document.querySelectorAll(".question[data-question]").forEach(mark);
  }

  function follow(event) {
    var copy = event.target.tagName === "TEXTAREA" && copyOf(event.target);
    if (copy) copy.textContent = event.target.value;
    mark(event.target.closest && event.target.closest(".question[data-question]"));
  }

  document.addEventListener("input", follow);
  document.addEventListener("change", follow);
  // Answers put back from this browser's unsent queue (answers.js) are in the form by now.
  window.addEventListener("load", markAll);

  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("textarea").forEach(function (area) {
      var copy = copyOf(area);
      if (copy) copy.textContent = area.value;
    });
    markAll();
  });
})();
