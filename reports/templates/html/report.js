(function () {
  "use strict";
  var boxes = document.querySelectorAll(".filters input[type=checkbox]");
  var items = document.querySelectorAll("[data-status][data-severity]");
  var shown = document.getElementById("shown");
  function wanted(name) {
    var out = {};
    document.querySelectorAll(".filters input[name=" + name + "]").forEach(function (b) { out[b.value] = b.checked; });
    return out;
  }
  function apply() {
    var statuses = wanted("status"), severities = wanted("severity"), visible = 0;
    items.forEach(function (item) {
      var show = statuses[item.dataset.status] !== false && severities[item.dataset.severity] !== false;
      item.hidden = !show;
      if (show) { visible += 1; }
    });
    document.querySelectorAll("[data-group]").forEach(function (group) {
      group.hidden = group.querySelectorAll("[data-status]:not([hidden])").length === 0;
    });
    if (shown) { shown.textContent = visible + " of " + items.length + " results shown"; }
  }
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
  apply();
}());
