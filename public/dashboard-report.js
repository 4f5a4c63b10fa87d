// The annual report's page: print button, and every breakdown opened before printing.
(function () {
  var opened = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (d) {
      d.open = true;
      opened.push(d);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.splice(0).forEach(function (d) {
      d.open = false;
    });
  });
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("rp-print");
    if (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    }
  });
})();
