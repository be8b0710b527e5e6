// The job page: ask for the job's state every few seconds, move the progress bar, and show the
// page again (with the download or the reason) once the job has ended.
(function () {
  "use strict";
  var panel = document.getElementById("job");
  if (!panel) return;
  var bar = document.getElementById("job-progress");
  var state = document.getElementById("job-state");

  function show(job) {
    if (job.status === "finished" || job.status === "failed") {
      window.location.reload();
      return;
    }
    if (job.total) {
      bar.max = job.total;
      bar.value = job.done;
    }
    // Only a change is written: screen readers announce every change of a live region.
    if (state.textContent !== job.message) state.textContent = job.message;
    later();
  }

  function poll() {
    fetch(panel.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(show)
      .catch(later); // a slow or lost connection: try again
  }

  function later() {
    window.setTimeout(poll, 1500);
  }

  later();
})();
