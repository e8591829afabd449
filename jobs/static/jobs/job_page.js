/* A job's page follows the job while it runs: its stream says when it ends, then the page
 * shows how it ended. */
(function () {
  "use strict";
  const section = document.getElementById("job-workspace");
  if (!section || section.dataset.finished === "true") return;
  const source = new EventSource(`/api/v1/jobs/${section.dataset.job}/events/`);
  const reload = () => { source.close(); window.location.reload(); };
  source.addEventListener("done", reload);
  source.addEventListener("error", (event) => { if (event.data) reload(); });
})();
