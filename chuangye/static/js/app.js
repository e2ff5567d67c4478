// Small behaviours without inline script (the CSP forbids it).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form && form.querySelector("progress.busy")) {
    form.classList.add("busy");
  }
});

// Progress bars: widths come from data attributes (no inline style attributes needed).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-width]").forEach(function (el) {
    var v = Math.max(0, Math.min(parseFloat(el.getAttribute("data-width")) || 0, 1));
    el.style.width = (v * 100).toFixed(1) + "%";
  });
  document.querySelectorAll("[data-left]").forEach(function (el) {
    var v = Math.max(0, Math.min(parseFloat(el.getAttribute("data-left")) || 0, 1));
    el.style.left = (v * 100).toFixed(1) + "%";
  });
});
