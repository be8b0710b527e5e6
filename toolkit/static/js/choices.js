/*
 * Area pages: a choice that excludes the others ("None of these", marked data-exclusive) is
 * ticked alone. Ticking it unticks the other choices of its question; ticking another choice
 * unticks it. Without this script the server refuses the mix with a message.
 */
(function () {
  "use strict";

  function choicesOf(box) {
    var group = box.closest("fieldset") || box.form;
    if (!group) return [];
    return Array.prototype.filter.call(
      group.querySelectorAll('input[type="checkbox"]'),
      function (other) { return other.name === box.name && other !== box; }
    );
  }

  // In the capture phase, so that autosave and show_if see the choices as they end up.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.type !== "checkbox" || !box.checked || !box.name) return;
    var exclusive = box.hasAttribute("data-exclusive");
    choicesOf(box).forEach(function (other) {
      if (exclusive || other.hasAttribute("data-exclusive")) other.checked = false;
    });
  }, true);
})();
