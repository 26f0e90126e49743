// The little behaviour Data Docs need, without jQuery or Bootstrap (console/datadocs.py):
// tabs, collapsible sections, clickable table rows, sorting and filtering a table.
(function () {
  "use strict";
  function on(sel, type, fn) {
    document.addEventListener(type, function (e) {
      var el = e.target.closest(sel);
      if (el) fn(e, el);
    });
  }
  on('[data-toggle="tab"]', "click", function (e, link) {
    e.preventDefault();
    var list = link.closest(".nav");
    list.querySelectorAll(".nav-link").forEach(function (l) {
      l.classList.remove("active");
      l.setAttribute("aria-selected", "false");
      var pane = document.querySelector(l.getAttribute("href"));
      if (pane) pane.classList.remove("active", "show");
    });
    link.classList.add("active");
    link.setAttribute("aria-selected", "true");
    var pane = document.querySelector(link.getAttribute("href"));
    if (pane) pane.classList.add("active", "show");
  });
  on('[data-toggle="collapse"]', "click", function (e, link) {
    e.preventDefault();
    var target = document.querySelector(link.getAttribute("href") || link.dataset.target);
    if (!target) return;
    var open = target.classList.toggle("show");
    link.setAttribute("aria-expanded", open ? "true" : "false");
  });
  on("tr.clickable-row[data-href]", "click", function (e, row) {
    if (e.target.closest("a")) return;
    window.location = row.dataset.href;
  });
  on(".docs-table thead th", "click", function (e, th) {
    var table = th.closest("table"), body = table.tBodies[0];
    var i = Array.prototype.indexOf.call(th.parentNode.children, th);
    var asc = th.dataset.order !== "asc";
    th.dataset.order = asc ? "asc" : "desc";
    Array.prototype.slice.call(body.rows).sort(function (a, b) {
      var x = a.cells[i].dataset.sort || a.cells[i].textContent;
      var y = b.cells[i].dataset.sort || b.cells[i].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y);
      return asc ? c : -c;
    }).forEach(function (r) { body.appendChild(r); });
  });
  document.addEventListener("input", function (e) {
    if (!e.target.matches(".docs-filter")) return;
    var table = document.getElementById(e.target.dataset.table);
    var q = e.target.value.trim().toLowerCase();
    Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
      r.hidden = q !== "" && r.textContent.toLowerCase().indexOf(q) < 0;
    });
  });
})();
