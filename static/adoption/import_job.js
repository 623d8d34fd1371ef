/* Admin import job page: poll the job's JSON every two seconds until it is over, showing the
   counters (they only go forward); reload once it is over so the outcome and messages show. */
(function () {
  "use strict";
  var job = document.getElementById("import-job");
  if (!job || job.dataset.done === "1") { return; }
  var shown = { read: 0, checked: 0, written: 0 };

  function show(state) {
    ["read", "checked", "written"].forEach(function (name) {
      shown[name] = Math.max(shown[name], state[name] || 0);
      job.querySelector('[data-field="' + name + '"]').textContent = shown[name];
    });
    var bar = job.querySelector('[data-field="progress"]');
    bar.max = Math.max(shown.read, 1);
    bar.value = shown.written;
    job.querySelector('[data-field="status_label"]').textContent = state.status_label;
  }

  function poll() {
    fetch(job.dataset.jobUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (state) {
        show(state);
        if (state.done) { window.location.reload(); } else { window.setTimeout(poll, 2000); }
      })
      .catch(function () { window.setTimeout(poll, 10000); });
  }
  window.setTimeout(poll, 1000);
})();
