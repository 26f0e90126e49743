// tongban console: the live parts (a sync's progress), with no library.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress]");
  if (!box) return;
  var url = box.dataset.progress;
  function show(job) {
    Object.keys(job.counts || {}).forEach(function (k) {
      var el = box.querySelector('[data-count="' + k + '"]');
      if (el) el.textContent = job.counts[k];
    });
    box.querySelector("[data-field=batches]").textContent = job.batches;
    var status = box.querySelector("[data-field=status]");
    status.textContent = box.dataset["label" + job.status] || job.status;
    status.className = "status " + job.status;
    if (job.message) box.querySelector("[data-field=message]").textContent = job.message;
    if (job.run_id) {
      var link = box.querySelector("[data-field=run]");
      link.href = box.dataset.runs + "/" + job.run_id;
      link.hidden = false;
    }
    if (job.status !== "running") {
      var bar = box.querySelector("progress");
      bar.value = 1; bar.max = 1;
      box.setAttribute("aria-busy", "false");
      return true;
    }
    return false;
  }
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (job) { if (!show(job)) setTimeout(poll, 500); })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
