// The report page while its analysis runs: the server pushes each step (server-sent events) and
// the page shows the finished report as soon as it is recorded. Without this script the page
// reloads itself every few seconds (a <noscript> refresh).
"use strict";
(function () {
  const box = document.getElementById("progress");
  if (!box || !window.EventSource) return;
  const bar = box.querySelector("progress");
  const label = document.getElementById("progress-label");
  const source = new EventSource(box.dataset.events);
  source.onmessage = function (message) {
    let p;
    try { p = JSON.parse(message.data); } catch (e) { return; }
    if (bar && typeof p.percent === "number") {
      bar.value = p.percent;
      bar.textContent = p.percent + "%";
    }
    if (label && p.label) label.textContent = p.label + "（" + p.percent + "%）";
    if (p.state === "done" || p.state === "failed" || p.state === "dead") {
      source.close();
      window.location.reload();
    }
  };
  source.addEventListener("end", function () { source.close(); });
})();
