/* The main menu on a phone: folded behind a "Menu" button that opens and closes it
   (aria-expanded tells screen readers). The stylesheet folds it only on narrow screens and
   only once this script has run, so without the script every entry shows. */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var nav = document.querySelector(".nav");
    var toggle = nav && nav.querySelector(".nav__toggle");
    if (!toggle) {
      return;
    }
    toggle.hidden = false;
    nav.classList.add("nav--folding");
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      nav.classList.toggle("nav--open", open);
    });
  });
})();
