/* A prompt's page: the diff between two versions and a render preview (its components
 * field's picker is components.js). */
(function () {
  "use strict";

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function showDiff(output, text) {
    output.hidden = false;
    output.replaceChildren();
    if (!text) { output.textContent = "The same content."; return; }
    for (const line of text.split("\n")) {
      const span = document.createElement("span");
      if (line.startsWith("+") && !line.startsWith("+++")) span.className = "added";
      else if (line.startsWith("-") && !line.startsWith("---")) span.className = "removed";
      else if (line.startsWith("@@")) span.className = "hunk";
      span.textContent = line + "\n";
      output.append(span);
    }
  }

  const diff = document.getElementById("prompt-diff");
  if (diff) {
    diff.addEventListener("submit", async (event) => {
      event.preventDefault();
      const from = diff.elements.from.value, to = diff.elements.to.value;
      const response = await fetch(`${diff.dataset.urlBase}${from}/diff/?other=${to}`, { credentials: "same-origin" });
      const answer = await response.json();
      showDiff(document.getElementById("prompt-diff-output"), response.ok ? answer.diff : answer.detail || JSON.stringify(answer));
    });
  }

  const render = document.getElementById("prompt-render");
  if (render) {
    render.addEventListener("submit", async (event) => {
      event.preventDefault();
      const variables = {};
      for (const field of render.querySelectorAll("[data-variable]")) variables[field.name] = field.value;
      const response = await fetch(render.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ variables }),
      });
      const answer = await response.json();
      const output = document.getElementById("prompt-render-output");
      output.hidden = false;
      output.textContent = response.ok ? answer.content : Object.values(answer).flat().join(" ");
    });
  }
})();
