// Small behaviours the templates ask for with data attributes, kept here rather than in inline
// event handlers so the Content-Security-Policy can refuse all inline script.
//   <select data-autosubmit>   submits its form when the choice changes
//   <button data-confirm="…">  asks before submitting, and does nothing if the answer is no
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches && field.matches("[data-autosubmit]") && field.form) {
    field.form.submit();
  }
});
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
//   <button data-print>        opens the browser's print dialog (the print stylesheet applies)
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) {
    window.print();
  }
});
