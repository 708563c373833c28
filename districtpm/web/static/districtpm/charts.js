// Renders every Vega-Lite spec on the page into its container. Specs arrive as JSON script tags:
// the fixed pairs below, and any <script type="application/json" data-chart-for="ID">.
document.addEventListener("DOMContentLoaded", function () {
  if (typeof vegaEmbed === "undefined") { return; }
  var pairs = [["trend-spec", "#trend-chart"], ["children-spec", "#children-chart"]];
  document.querySelectorAll("script[data-chart-for]").forEach(function (source) {
    pairs.push([source, "#" + source.getAttribute("data-chart-for")]);
  });
  pairs.forEach(function (pair) {
    var source = typeof pair[0] === "string" ? document.getElementById(pair[0]) : pair[0];
    var target = document.querySelector(pair[1]);
    if (!source || !target) { return; }
    var spec = JSON.parse(source.textContent);
    // ast: Vega evaluates expressions with its interpreter instead of generating code with
    // Function(), so the Content-Security-Policy needs no 'unsafe-eval'. defaultStyle and the
    // tooltip's disableDefaultStyle keep vega-embed and vega-tooltip from injecting inline
    // <style> elements, which the policy refuses; their rules are in app.css instead.
    var options = {
      actions: false,
      renderer: "svg",
      ast: true,
      defaultStyle: false,
      tooltip: { disableDefaultStyle: true },
    };
    vegaEmbed(target, spec, options).then(function () {
      target.setAttribute("data-rendered", "true");
    });
  });
});
