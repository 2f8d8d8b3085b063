// Draws each panel's chart from the JSON option the server wrote beside it. Bar and point labels and tooltips
// are the server's text (localized there); axis ticks use the page language's number format.
// Bars with a drill-down link open it on click; the table view holds the same rows as keyboard-reachable links.
(function () {
  var lang = document.documentElement.lang || "en";
  var currency = document.body.getAttribute("data-currency") || "EUR";
  // Value ticks in the page language: money in the server's currency (compact: 1,2 Mio. €), shares as percent.
  function ticks(kind) {
    var options = { maximumFractionDigits: 2 };
    if (kind === "pct") { options = { style: "percent", maximumFractionDigits: 1 }; }
    if (kind === "money") { options = { style: "currency", currency: currency, notation: "compact", maximumFractionDigits: 1 }; }
    var format = new Intl.NumberFormat(lang, options);
    return function (v) { return format.format(v); };
  }
  // Category ticks that are dates (ISO from the server): months and days in the page language.
  function dates(kind) {
    var options = kind === "month" ? { year: "numeric", month: "short", timeZone: "UTC" }
                                   : { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" };
    var format = new Intl.DateTimeFormat(lang, options);
    return function (v) {
      var when = new Date(String(v).length === 7 ? v + "-01T00:00:00Z" : String(v).slice(0, 10) + "T00:00:00Z");
      return isNaN(when.getTime()) ? String(v) : format.format(when);
    };
  }
  window.empathicaTicks = { number: ticks, date: dates };  // the browser tests read the formatters
  function labelled(option) {
    var many = (option.series || []).length > 1;
    var named = option.xAxis && option.xAxis.axisKind ? dates(option.xAxis.axisKind) : String;
    (option.series || []).forEach(function (s) {
      if (s.type === "sankey") { s.tooltip = { formatter: function (p) { return p.data.label ? p.name + ": " + p.data.label : p.name; } }; return; }
      s.label = Object.assign({}, s.label, { formatter: function (p) { return p.data.label; } });
      s.tooltip = { formatter: function (p) { return (many ? p.seriesName + " · " : "") + named(p.name) + ": " + p.data.label; } };
    });
    ["xAxis", "yAxis"].forEach(function (axis) {
      var a = option[axis];
      if (a && a.type === "value") { a.axisLabel = Object.assign({}, a.axisLabel, { formatter: ticks(option.valueKind) }); }
      if (a && a.axisKind) { a.axisLabel = Object.assign({}, a.axisLabel, { formatter: dates(a.axisKind) }); }
    });
    return option;
  }
  function draw() {
    if (!window.echarts) { return; }
    performance.mark("empathica-draw-start");  // bench_dashboard reads the measure "empathica-draw"
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) { return; }
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(labelled(JSON.parse(source.textContent)));
      chart.on("click", function (p) { if (p.data && p.data.href) { window.location.assign(p.data.href); } });
      window.addEventListener("resize", function () { chart.resize(); });
      el.setAttribute("data-drawn", "1");
    });
    performance.mark("empathica-drawn");
    performance.measure("empathica-draw", "empathica-draw-start", "empathica-drawn");
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
