/* AI steps from admin pages, and the live panel of the job each one starts.
 *
 * Markup: <form class="ai-action" data-url="/api/v1/..." data-then="reload|link|board">
 *           <textarea name="content"></textarea> ... <button>Send</button>
 *         </form>
 * The form's named fields become the JSON body (a field with data-json is parsed as JSON,
 * one with data-wrap="changes" is sent as {"changes": {"summary": text}}). The action answers
 * a job; its events stream into the panel below the form: text as the model writes it, tool
 * calls and their results, fallbacks, and how it ended, with what to do about a failure.
 * Plain JavaScript, no library: served as a static file. */
(function () {
  "use strict";

  // What to do about a failed job, by its error's code (core.admin.ERROR_HINTS, in the page).
  const hints = document.getElementById("error-hints");
  const HINTS = hints ? JSON.parse(hints.textContent) : {};


  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  const { element } = window.orchestrator;  // core/dom.js

  function bodyOf(form) {
    const body = {};
    for (const field of form.querySelectorAll("[name]")) {
      if (field.type === "checkbox") { body[field.name] = field.checked; continue; }
      let value = field.value;
      if (value === "" && !field.required) continue;
      if (field.dataset.json !== undefined) value = JSON.parse(value);
      else if (field.type === "number") value = Number(value);
      if (field.dataset.wrap) value = { summary: value };
      body[field.name] = value;
    }
    return body;
  }

  function detailOf(answer) {
    if (answer && typeof answer.detail === "string") return answer.detail;
    if (answer && typeof answer === "object") {
      return Object.entries(answer).map(([name, messages]) => `${name}: ${[].concat(messages).join(" ")}`).join("; ");
    }
    return String(answer);
  }

  class JobPanel {
    constructor(form) {
      this.form = form;
      this.panel = form.parentNode.querySelector(".job-panel") || element("section", "job-panel");
      if (!this.panel.isConnected) form.after(this.panel);
      this.panel.setAttribute("aria-live", "polite");
    }

    reset(title) {
      this.panel.hidden = false;
      this.panel.replaceChildren();
      this.status = element("p", "job-status", title);
      this.text = element("pre", "job-text");
      this.calls = element("ol", "job-calls");
      this.panel.append(this.status, this.text, this.calls);
    }

    refused(detail) {
      this.reset("");
      this.status.className = "job-status errornote";
      this.status.textContent = detail;
    }

    follow(job) {
      this.reset(`Job ${job.kind}: ${job.status}`);
      const link = element("a", "job-link", "job page");
      link.href = `/admin/jobs/job/${job.id}/change/`;
      this.status.append(" (", link, ")");
      this.source = new EventSource(`/api/v1/jobs/${job.id}/events/`);
      for (const name of ["status", "token", "tool_call", "tool_result", "done", "error"]) {
        this.source.addEventListener(name, (event) => this.on(name, JSON.parse(event.data), job));
      }
    }

    on(name, data, job) {
      if (name === "token") {
        this.text.textContent += data.text;
      } else if (name === "status") {
        // What streamed before a retry or a fallback is not the answer: the next attempt starts it again.
        if (data.fallback) {
          this.text.textContent = "";
          this.calls.append(element("li", "job-fallback", `${data.fallback.from} failed (${data.fallback.error}); ${data.fallback.to} answers`));
        } else if (data.retry) {
          this.text.textContent = "";
          this.calls.append(element("li", "job-fallback", `${data.retry.ai_model} failed (${data.retry.error}); trying again`));
        } else if (data.attempt > 1) {
          this.text.textContent = "";  // a redelivered job starts its answer again
        }
        this.status.firstChild.textContent = `Job ${job.kind}: ${data.status} `;
      } else if (name === "tool_call") {
        const item = element("li", "job-tool-call");
        item.dataset.callId = data.id;
        item.append(element("code", "", `${data.name}(${JSON.stringify(data.arguments)})`));
        this.calls.append(item);
      } else if (name === "tool_result") {
        const item = this.calls.querySelector(`[data-call-id="${CSS.escape(data.id)}"]`) || this.calls.appendChild(element("li"));
        item.append(element("span", `job-tool-result ${data.status}`, ` → ${data.status}: ${JSON.stringify(data.result).slice(0, 300)}`));
      } else if (name === "done") {
        this.source.close();
        this.status.firstChild.textContent = `Job ${job.kind}: succeeded `;
        this.finished(job);
      } else if (name === "error") {
        this.source.close();
        this.status.className = "job-status errornote";
        this.status.firstChild.textContent = `Job ${job.kind} failed: ${data.detail} ${HINTS[data.code] || ""} `;
        this.form.querySelector("button").disabled = false;
      }
    }

    async finished(job) {
      const then = this.form.dataset.then;
      if (then === "reload") {
        window.setTimeout(() => window.location.reload(), 800);
        return;
      }
      const answer = await fetch(`/api/v1/jobs/${job.id}/`, { credentials: "same-origin" }).then((r) => r.json());
      const result = answer.result || {};
      if (then === "link" && result.prompt) {
        this.linkTo(`/admin/projects/prompt/${result.prompt.id}/change/`, "Open the new prompt");
      } else if (then === "link" && result.commit) {
        this.linkTo(`/admin/kanban/commit/${result.commit.id}/change/`, "Open the new commit");
      } else if (then === "board" && this.form.dataset.board) {
        const made = (result.created || []).length;
        this.linkTo(this.form.dataset.board, `${made} task(s) written: open the board`);
      } else if (result.test) {
        this.status.append(element("span", "", result.test.ok ? ` answered in ${result.test.latency_ms} ms` : ` ${result.test.error}`));
      }
      this.form.querySelector("button").disabled = false;
    }

    linkTo(url, label) {
      const link = element("a", "job-next", label);
      link.href = url;
      this.panel.append(element("p", "", ""), link);
    }
  }

  async function start(form) {
    const panel = new JobPanel(form);
    const button = form.querySelector("button");
    let body;
    try {
      body = bodyOf(form);
    } catch (error) {
      panel.refused(`Not valid JSON: ${error.message}`);
      return;
    }
    button.disabled = true;
    panel.reset("Starting…");
    const response = await fetch(form.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({ detail: `HTTP ${response.status}` }));
    if (!response.ok) {
      panel.refused(detailOf(answer));
      button.disabled = false;
      return;
    }
    if (answer.kind === undefined) {  // not a job: an immediate action (complete, a new session)
      if (form.dataset.then === "go" && answer.id) window.location.href = form.dataset.go.replace("ID", answer.id);
      else window.location.reload();
      return;
    }
    const field = form.querySelector("textarea[name=content]");
    if (field) field.value = "";
    panel.follow(answer);
  }

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form.ai-action");
    if (!form) return;
    event.preventDefault();
    start(form);
  });
})();
