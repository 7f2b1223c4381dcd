/* The quality page's trend chart: flagged households (错误 / 疑点) per run. */
(function () {
  "use strict";
  window.addEventListener("load", function () {
    var src = document.getElementById("quality-trend");
    var el = document.querySelector('[data-chart="quality-trend"]');
    if (!src || !el || !window.echarts) return;
    var d = JSON.parse(src.textContent);
    var c = window.echarts.init(el, null, { renderer: "canvas" });
    c.setOption({
      animation: false,
      color: ["#c23b31", "#d9822b"],
      textStyle: { fontFamily: "Noto Sans CJK SC, Microsoft YaHei, sans-serif" },
      tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 60, right: 16, top: 36, bottom: 30, containLabel: true },
      xAxis: { type: "category", data: d.map(function (t) { return t.at; }) },
      yAxis: { type: "value", name: "户" },
      series: [
        { name: "错误", type: "line", data: d.map(function (t) { return t.errors; }) },
        { name: "疑点", type: "line", data: d.map(function (t) { return t.doubts; }) }
      ]
    });
    window.addEventListener("resize", function () { c.resize(); });
  });
})();
