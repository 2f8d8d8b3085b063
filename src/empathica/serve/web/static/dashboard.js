// Draws each panel's chart from the JSON option the server wrote beside it. Bar and point labels and tooltips
// are the server's text (localized there); axis ticks use the page language's number format.
// Bars with a drill-down link open it on click; the table view holds the same rows as keyboard-reachable links.
(function () {
  var lang = document.documentElement.lang || "en";
  function ticks(kind) {
    var percent = kind === "pct";
    var format = new Intl.NumberFormat(lang, { style: percent ? "percent" : "decimal", maximumFractionDigits: 2 });
    return function (v) { return format.format(v); };
  }
  function labelled(option) {
    var many = (option.series || []).length > 1;
    (option.series || []).forEach(function (s) {
      if (s.type === "sankey") { s.tooltip = { formatter: function (p) { return p.data.label ? p.name + ": " + p.data.label : p.name; } }; return; }
      s.label = Object.assign({}, s.label, { formatter: function (p) { return p.data.label; } });
      s.tooltip = { formatter: function (p) { return (many ? p.seriesName + " · " : "") + p.name + ": " + p.data.label; } };
    });
    ["xAxis", "yAxis"].forEach(function (axis) {
      if (option[axis] && option[axis].type === "value") { option[axis].axisLabel = { formatter: ticks(option.valueKind) }; }
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
