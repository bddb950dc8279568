// Live batch progress: every [data-progress-url] element whose batch is queued or running polls its JSON and
// updates its bar segments ([data-seg]), counts ([data-k]), requests ([data-requests]) and status label.
(function () {
  var LIVE = ["queued", "running"];
  function update(box, d) {
    var total = d.counts.total || 0;
    box.querySelectorAll("[data-seg]").forEach(function (el) {
      el.style.width = (total ? 100 * d.counts[el.dataset.seg] / total : 0) + "%";
    });
    box.querySelectorAll("[data-k]").forEach(function (el) { el.textContent = d.counts[el.dataset.k]; });
    box.querySelectorAll("[data-requests]").forEach(function (el) { el.textContent = d.requests_sent; });
    box.querySelectorAll("[data-status-label]").forEach(function (el) { el.textContent = d.status_label; });
  }
  function watch(box) {
    function poll() {
      fetch(box.dataset.progressUrl, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
        update(box, d);
        if (LIVE.indexOf(d.status) >= 0) { setTimeout(poll, 2000); }
        else if (box.hasAttribute("data-reload-when-done")) { window.location.reload(); }
      }).catch(function () { setTimeout(poll, 5000); });
    }
    setTimeout(poll, 2000);
  }
  document.querySelectorAll("[data-progress-url]").forEach(function (box) {
    if (LIVE.indexOf(box.dataset.status) >= 0) { watch(box); }
  });
})();
