// Charts drawn from JSON data blocks (no inline script: the CSP forbids it).
(function () {
  "use strict";
  var COLORS = { actual: "#c8102e", expected: "#8a94a6", target: "#0b5cad" };

  function data(el) {
    var node = document.getElementById(el.getAttribute("data-chart"));
    return node ? JSON.parse(node.textContent) : null;
  }

  function sparkline(el, d) {
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      grid: { left: 2, right: 2, top: 4, bottom: 2 },
      xAxis: { type: "category", show: false, data: d.months },
      yAxis: { type: "value", show: false, max: function (v) { return Math.max(v.max, d.target || 0); } },
      series: [
        { type: "line", data: d.expected, showSymbol: false, lineStyle: { color: COLORS.expected, type: "dashed", width: 1 } },
        { type: "line", data: d.actual, showSymbol: false, lineStyle: { color: COLORS.actual, width: 2 }, areaStyle: { color: "rgba(200,16,46,.08)" } }
      ]
    });
    return chart;
  }

  function trend(el, d) {
    var chart = echarts.init(el);
    var target = d.target === null ? [] : d.months.map(function () { return d.target; });
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: ["实际（累计）", "序时进度", "目标"] },
      grid: { left: 60, right: 20, top: 40, bottom: 40 },
      xAxis: { type: "category", data: d.months },
      yAxis: { type: "value", name: d.unit },
      series: [
        { name: "实际（累计）", type: "line", data: d.actual, lineStyle: { color: COLORS.actual, width: 3 }, itemStyle: { color: COLORS.actual } },
        { name: "序时进度", type: "line", data: d.expected, showSymbol: false, lineStyle: { color: COLORS.expected, type: "dashed" }, itemStyle: { color: COLORS.expected } },
        { name: "目标", type: "line", data: target, showSymbol: false, lineStyle: { color: COLORS.target }, itemStyle: { color: COLORS.target } }
      ]
    });
    return chart;
  }

  function ranking(el, d) {
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
      grid: { left: 80, right: 40, top: 10, bottom: 30 },
      xAxis: { type: "value", max: 120, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", inverse: true, data: d.names },
      series: [{
        type: "bar", data: d.scores, label: { show: true, position: "right", formatter: "{c}%" },
        itemStyle: { color: function (p) { return p.value >= 100 ? "#1a7f37" : (p.value >= 90 ? "#b7791f" : "#c53030"); } },
        markLine: { symbol: "none", data: [{ xAxis: 100 }], lineStyle: { color: "#8a94a6" } }
      }]
    });
    return chart;
  }

  var KINDS = { sparkline: sparkline, trend: trend, ranking: ranking };

  function draw() {
    if (typeof echarts === "undefined") { return; }
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var d = data(el);
      var kind = KINDS[el.getAttribute("data-kind")];
      if (d && kind) { charts.push(kind(el, d)); el.setAttribute("data-drawn", "1"); }
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
