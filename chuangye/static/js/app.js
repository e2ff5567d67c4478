// Small behaviours without inline script (the CSP forbids it).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form && form.querySelector("progress.busy")) {
    form.classList.add("busy");
  }
});
