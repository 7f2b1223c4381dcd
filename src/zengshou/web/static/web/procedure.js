// The print buttons of the notice and QR pages (no inline script: the CSP allows only files).
document.addEventListener("click", function (e) {
  var t = e.target;
  if (t && t.matches && t.matches("[data-print]")) { e.preventDefault(); window.print(); }
});
