/* Admin import job page: while the worker has the job (checking or importing the file), poll
   its JSON every two seconds, showing the counters (they only go forward); reload once the
   step is over so the preview, or the outcome and messages, show. */
(function () {
  "use strict";
  var job = document.getElementById("import-job");
  if (!job || job.dataset.active !== "1") { return; }
  var shown = { read: 0, checked: 0, written: 0 };

  function show(state) {
    ["read", "checked", "written"].forEach(function (name) {
      shown[name] = Math.max(shown[name], state[name] || 0);
      var field = job.querySelector('[data-field="' + name + '"]');
      if (field) { field.textContent = shown[name]; }
    });
    var bar = job.querySelector('[data-field="progress"]');
    if (bar && state.total) {
      bar.max = state.total;
      bar.value = Math.max(bar.value || 0, state.progress || 0);
    }
    job.querySelector('[data-field="status_label"]').textContent = state.status_label;
  }

  function poll() {
    fetch(job.dataset.jobUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (state) {
        show(state);
        if (!state.active) { window.location.reload(); } else { window.setTimeout(poll, 2000); }
      })
      .catch(function () { window.setTimeout(poll, 10000); });
  }
  window.setTimeout(poll, 1000);
})();
