/* Charts (ECharts from this app's own static files) and small conveniences; no third-party requests. */
(function () {
  "use strict";
  var palette = ["#1f5fa8", "#2e8b57", "#d9822b", "#8e5ea2", "#c23b31", "#3bb3c4"];
  function yuan(v) { return "¥" + Math.round(v).toLocaleString("zh-CN"); }
  function data(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  function chart(name, option) {
    var el = document.querySelector('[data-chart="' + name + '"]');
    if (!el || !window.echarts) return;
    var c = window.echarts.init(el, null, { renderer: "canvas" });
    option.color = option.color || palette;
    option.animation = false;
    option.textStyle = { fontFamily: "Noto Sans CJK SC, Microsoft YaHei, sans-serif" };
    c.setOption(option);
    window.addEventListener("resize", function () { c.resize(); });
  }
  var grid = { left: 60, right: 16, top: 36, bottom: 30, containLabel: true };

  function dashboard() {
    var d = data("dash-data");
    if (!d || !d.year) return;
    chart("trend", {
      tooltip: { trigger: "axis", valueFormatter: yuan }, legend: { top: 0 }, grid: grid,
      xAxis: { type: "category", data: d.trend.map(function (t) { return t.year + "年"; }) },
      yAxis: { type: "value", axisLabel: { formatter: function (v) { return v.toLocaleString("zh-CN"); } } },
      series: d.components.map(function (c) {
        return { name: c.label, type: "bar", stack: "income", data: d.trend.map(function (t) { return t[c.key]; }) };
      }).concat([{ name: "人均纯收入", type: "line", data: d.trend.map(function (t) { return t.per_capita_income; }), color: "#333" }])
    });
    chart("bands", {
      tooltip: { trigger: "axis" }, grid: grid,
      xAxis: { type: "category", data: d.income_bands.map(function (b) { return b.label; }), axisLabel: { interval: 0, fontSize: 11 } },
      yAxis: { type: "value", name: "户" },
      series: [{ type: "bar", data: d.income_bands.map(function (b, i) {
        return { value: b.households, itemStyle: { color: i === 0 ? "#c23b31" : "#1f5fa8" } }; }), label: { show: true, position: "top" } }]
    });
    chart("quintiles", {
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: grid,
      xAxis: { type: "category", data: d.quintiles.map(function (q) { return q.quintile; }), axisLabel: { interval: 0, fontSize: 11 } },
      yAxis: [{ type: "value", name: "人" }, { type: "value", name: "元", splitLine: { show: false } }],
      series: [
        { name: "人数", type: "bar", data: d.quintiles.map(function (q) { return q.persons; }) },
        { name: "组内人均纯收入", type: "line", yAxisIndex: 1, data: d.quintiles.map(function (q) { return q.avg_income; }), color: "#d9822b" }
      ]
    });
    if (d.open_alerts.length) {
      var al = d.open_alerts.slice().reverse();
      chart("alerts", {
        tooltip: {}, grid: { left: 10, right: 40, top: 10, bottom: 10, containLabel: true },
        xAxis: { type: "value" }, yAxis: { type: "category", data: al.map(function (a) { return a.code + " " + a.title; }), axisLabel: { fontSize: 11 } },
        series: [{ type: "bar", data: al.map(function (a) { return a.count; }), color: "#c23b31", label: { show: true, position: "right" } }]
      });
    }
    if (d.children.length) {
      var ch = d.children.slice().reverse();
      chart("children", {
        tooltip: { trigger: "axis", valueFormatter: yuan }, grid: { left: 10, right: 70, top: 10, bottom: 10, containLabel: true },
        xAxis: { type: "value" }, yAxis: { type: "category", data: ch.map(function (c) { return c.name; }) },
        series: [{ type: "bar", data: ch.map(function (c) { return c.per_capita_income; }), label: { show: true, position: "right", formatter: function (p) { return yuan(p.value); } } }],
        markLine: d.monitoring_line ? { data: [{ xAxis: d.monitoring_line }] } : undefined
      });
    }
  }

  function household() {
    var d = data("household-data");
    if (!d) return;
    chart("household-income", {
      tooltip: { trigger: "axis", valueFormatter: yuan }, legend: { top: 0 }, grid: grid,
      xAxis: { type: "category", data: d.years.map(function (y) { return y + "年"; }) },
      yAxis: { type: "value" },
      series: d.series.map(function (s) { return { name: s.name, type: "bar", stack: "c", data: s.data }; })
        .concat([{ name: "人均纯收入", type: "line", data: d.total, color: "#333" }])
    });
  }

  function importJob() {
    var el = document.getElementById("job");
    if (!el) return;
    var st = el.getAttribute("data-status");
    if (st !== "validating" && st !== "loading") return;
    setTimeout(function poll() {
      fetch(el.getAttribute("data-status-url"), { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (j) {
        if (j.status !== st) { window.location.reload(); } else { setTimeout(poll, 1000); }
      }).catch(function () { setTimeout(poll, 3000); });
    }, 1000);
  }

  function uploadProgress() {
    var form = document.getElementById("upload-form");
    if (!form || !window.FormData) return;
    form.addEventListener("submit", function (ev) {
      var bar = document.getElementById("upload-progress");
      ev.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action || window.location.href);
      bar.hidden = false;
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total); };
      xhr.onload = function () {
        if (xhr.responseURL && xhr.responseURL !== window.location.href) { window.location.href = xhr.responseURL; }
        else { document.open(); document.write(xhr.responseText); document.close(); }
      };
      xhr.send(new FormData(form));
    });
  }

  document.addEventListener("DOMContentLoaded", function () { dashboard(); household(); importJob(); uploadProgress(); });
})();
