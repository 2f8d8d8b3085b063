// Draws each panel's chart from the JSON option the server wrote beside it (labels already localized).
// Bars with a drill-down link open it on click or on Enter; the table view holds the same rows as links.
(function () {
  function labelled(option) {
    (option.series || []).forEach(function (s) {
      if (s.type === "sankey") { s.tooltip = { formatter: function (p) { return p.data.label ? p.name + ": " + p.data.label : p.name; } }; return; }
      s.label = Object.assign({}, s.label, { formatter: function (p) { return p.data.label; } });
      s.tooltip = { formatter: function (p) { return p.name + ": " + p.data.label; } };
    });
    return option;
  }
  function draw() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) { return; }
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(labelled(JSON.parse(source.textContent)));
      chart.on("click", function (p) { if (p.data && p.data.href) { window.location.assign(p.data.href); } });
      window.addEventListener("resize", function () { chart.resize(); });
      el.setAttribute("data-drawn", "1");
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
