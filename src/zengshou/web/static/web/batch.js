// 批处理进度: poll the run's status while it is queued or running; reload the page when it ends.
(function () {
  "use strict";
  var MARKS = { done: "✔", running: "▶", failed: "✘", skipped: "–", waiting: "○" };

  function stepText(st) {
    var text = (MARKS[st.state] || "○") + " " + st.label;
    if (st.state === "running") text += "（进行中）";
    else if (st.seconds !== null && st.seconds !== undefined) text += " · " + st.seconds + " 秒";
    if (st.note) text += " · " + st.note;
    return text;
  }

  function show(el, j) {
    document.getElementById("run-status").textContent = j.label;
    document.getElementById("run-status").className = "status " + j.status;
    document.getElementById("run-message").textContent = j.message;
    document.getElementById("run-progress").value = j.percent;
    document.getElementById("run-percent").textContent = j.percent + "%";
    document.getElementById("run-late").hidden = !j.late;
    var list = document.getElementById("run-steps");
    while (list.firstChild) list.removeChild(list.firstChild);
    j.steps.forEach(function (st) {
      var li = document.createElement("li");
      li.className = st.state;
      li.style.padding = "4px 0";
      li.textContent = stepText(st);
      list.appendChild(li);
    });
  }

  function start() {
    var el = document.getElementById("batch-run");
    if (!el) return;
    var url = el.getAttribute("data-status-url");
    (function poll() {
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (j) {
        show(el, j);
        if (j.finished) { window.location.reload(); } else { setTimeout(poll, 2000); }
      }).catch(function () { setTimeout(poll, 5000); });
    })();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
