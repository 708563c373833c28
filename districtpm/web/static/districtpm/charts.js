// Renders every Vega-Lite spec on the page into its container. Specs arrive as JSON script tags.
document.addEventListener("DOMContentLoaded", function () {
  var pairs = [["trend-spec", "#trend-chart"], ["children-spec", "#children-chart"]];
  pairs.forEach(function (pair) {
    var source = document.getElementById(pair[0]);
    var target = document.querySelector(pair[1]);
    if (!source || !target || typeof vegaEmbed === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    vegaEmbed(target, spec, { actions: false, renderer: "svg" }).then(function () {
      target.setAttribute("data-rendered", "true");
    });
  });
});
