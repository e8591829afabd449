/* A job's page follows the job while it runs: its status, the text the model streams, the
 * tool calls and their results, fallbacks and retries, and its model calls as each is
 * recorded (read again from the job on each status event). When the job ends, the page is
 * read again whole, with its result. Plain JavaScript, no library. */
(function () {
  "use strict";
  const section = document.getElementById("job-workspace");
  if (!section || section.dataset.finished === "true") return;
  const job = section.dataset.job;
  const status = document.getElementById("job-status");
  const started = document.getElementById("job-started");
  const text = document.getElementById("job-text");
  const events = document.getElementById("job-events");
  const calls = document.getElementById("job-model-calls");

  const { element } = window.orchestrator;  // core/dom.js

  function row(cells) {
    const tr = document.createElement("tr");
    for (const cell of cells) tr.append(element("td", "", cell));
    return tr;
  }

  const time = (value) => (value ? new Date(value).toISOString().slice(11, 19) : "—");
  const cost = (value) => (value === null || value === undefined ? "unknown" : `$${Number(value).toFixed(6)}`);
  const tokens = (value) => (value === null || value === undefined ? "?" : String(value));

  async function refresh() {
    const answer = await fetch(`/api/v1/jobs/${job}/`, { credentials: "same-origin" });
    if (!answer.ok) return;
    const data = await answer.json();
    status.textContent = data.status;
    if (data.started_at) started.textContent = data.started_at.replace("T", " ").slice(0, 19);
    if (!data.model_calls.length) return;
    calls.replaceChildren(
      ...data.model_calls.map((call) =>
        row([
          time(call.created_at),
          call.model,
          `${tokens(call.input_tokens)} / ${tokens(call.output_tokens)}`,
          `${call.latency_ms} ms`,
          call.finish_reason || "—",
          cost(call.cost),
          call.error ? call.error.detail : "—",
        ]),
      ),
    );
  }

  const source = new EventSource(`/api/v1/jobs/${job}/events/`);
  const reload = () => { source.close(); window.location.reload(); };
  source.addEventListener("status", (event) => {
    const data = JSON.parse(event.data);
    if (data.fallback) {
      text.textContent = "";
      events.append(element("li", "job-fallback", `${data.fallback.from} failed (${data.fallback.error}); ${data.fallback.to} answers`));
    } else if (data.retry) {
      text.textContent = "";
      events.append(element("li", "job-fallback", `${data.retry.ai_model} failed (${data.retry.error}); trying again`));
    } else if (data.attempt > 1) {
      text.textContent = "";  // a redelivered job starts its answer again
    }
    if (data.status) status.textContent = data.status;
    refresh();
  });
  source.addEventListener("token", (event) => { text.textContent += JSON.parse(event.data).text; });
  source.addEventListener("tool_call", (event) => {
    const data = JSON.parse(event.data);
    const item = element("li", "job-tool-call");
    item.dataset.callId = data.id;
    item.append(element("code", "", `${data.name}(${JSON.stringify(data.arguments)})`));
    events.append(item);
  });
  source.addEventListener("tool_result", (event) => {
    const data = JSON.parse(event.data);
    const item = events.querySelector(`[data-call-id="${CSS.escape(data.id)}"]`) || events.appendChild(element("li"));
    item.append(element("span", `job-tool-result ${data.status}`, ` → ${data.status}: ${JSON.stringify(data.result).slice(0, 300)}`));
  });
  source.addEventListener("done", reload);
  source.addEventListener("error", (event) => { if (event.data) reload(); });
})();
