"use strict";
(function () {
  var data = JSON.parse(document.getElementById("bgt-data").textContent);
  var days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  var tip = document.getElementById("tip");

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function when(m) {
    var d = Math.floor(m / 1440), r = m - d * 1440, h = Math.floor(r / 60), mi = Math.floor(r % 60);
    var s = Math.round((r % 1) * 60);
    return days[(data.weekday + d) % 7] + " " + pad(h) + ":" + pad(mi) + (s ? ":" + pad(s) : "") + " UTC";
  }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }
  function show(job, at, ev) {
    var info = data.jobs[job];
    if (!info) { return; }
    tip.textContent = "";
    tip.appendChild(el("b", info.name));
    var kind = el("div", "", "kind");
    var dot = el("i", undefined, "dot");
    dot.style.setProperty("--c", info.colour);
    kind.appendChild(dot);
    kind.appendChild(el("span", info.kind));
    tip.appendChild(kind);
    var dl = el("dl");
    function item(k, v) { if (v) { dl.appendChild(el("dt", k)); dl.appendChild(el("dd", v)); } }
    item("fires", at);
    item("schedule", info.schedule);
    item("cadence", info.cadence);
    item("next", info.next.join(" · "));
    item("target", info.target);
    item("declared", info.where);
    item("lock", info.lock);
    item("duplicate", info.group ? "group " + info.group + " (same job, several schedulers)" : "");
    tip.appendChild(dl);
    tip.hidden = false;
    place(ev);
  }
  function place(ev) {
    var w = tip.offsetWidth, h = tip.offsetHeight;
    var x = ev.clientX + 14, y = ev.clientY + 14;
    if (x + w > window.innerWidth - 8) { x = ev.clientX - w - 14; }
    if (y + h > window.innerHeight - 8) { y = ev.clientY - h - 14; }
    tip.style.left = Math.max(4, x) + "px";
    tip.style.top = Math.max(4, y) + "px";
  }
  function hide() { tip.hidden = true; }

  document.querySelectorAll(".view").forEach(function (view) {
    var minutes = Number(view.getAttribute("data-minutes"));
    view.addEventListener("mousemove", function (ev) {
      var row = ev.target.closest ? ev.target.closest(".row.job") : null;
      if (!row) { hide(); return; }
      var job = row.getAttribute("data-job");
      var lane = row.querySelector(".lane");
      var box = lane.getBoundingClientRect();
      if (ev.clientX < box.left) { show(job, "", ev); return; }
      var best = null, bestDx = 7;
      row.querySelectorAll(".mark").forEach(function (mark) {
        var m = Number(mark.getAttribute("data-m"));
        var dx = Math.abs(box.left + (m / minutes) * box.width - ev.clientX);
        if (dx < bestDx) { bestDx = dx; best = m; }
      });
      if (best !== null) { show(job, when(best), ev); return; }
      if (ev.target.classList && ev.target.classList.contains("band")) {
        var at = ((ev.clientX - box.left) / box.width) * minutes;
        show(job, "around " + when(Math.floor(at)), ev);
        return;
      }
      hide();
    });
    view.addEventListener("mouseleave", hide);
  });

  var table = document.getElementById("jobs");
  if (table) {
    var tbody = table.tBodies[0];
    var heads = table.querySelectorAll("th");
    table.querySelectorAll("th button").forEach(function (button) {
      button.addEventListener("click", function () {
        var col = Number(button.getAttribute("data-col"));
        var th = button.parentNode;
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(tbody.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col].getAttribute("data-sort"), y = b.cells[col].getAttribute("data-sort");
          if (x === y) { return Number(a.getAttribute("data-job")) - Number(b.getAttribute("data-job")); }
          if (x === "") { return 1; }
          if (y === "") { return -1; }
          return x < y ? -dir : dir;
        });
        rows.forEach(function (r) { tbody.appendChild(r); });
      });
    });
    var filter = document.getElementById("filter");
    var shown = document.getElementById("shown");
    filter.addEventListener("input", function () {
      var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      var visible = {}, count = 0;
      Array.prototype.forEach.call(tbody.rows, function (r) {
        var text = r.textContent.toLowerCase();
        var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
        r.classList.toggle("hidden", !ok);
        if (ok) { visible[r.getAttribute("data-job")] = true; count += 1; }
      });
      document.querySelectorAll(".row.job").forEach(function (r) {
        r.classList.toggle("hidden", !visible[r.getAttribute("data-job")]);
      });
      shown.textContent = count + " of " + tbody.rows.length + " jobs";
    });
  }
})();
