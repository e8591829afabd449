/* A task's page: its history (the app's own activity records, before and after), read from
 * the API, newest first. */
(function () {
  "use strict";
  const table = document.getElementById("task-history");
  if (!table) return;

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function changes(record) {
    return Object.entries(record.changes || {})
      .map(([name, change]) => (change && typeof change === "object" && "from" in change
        ? `${name}: ${JSON.stringify(change.from)} → ${JSON.stringify(change.to)}`
        : `${name}: ${JSON.stringify(change)}`))
      .join("; ");
  }

  fetch(table.dataset.url, { credentials: "same-origin" })
    .then((response) => response.json())
    .then((page) => {
      const body = table.querySelector("tbody");
      body.replaceChildren();
      for (const record of page.results || []) {
        const row = document.createElement("tr");
        row.append(
          cell(new Date(record.created_at).toLocaleString()),
          cell(record.actor || "—"),
          cell(record.channel),
          cell(record.verb),
          cell(changes(record)),
        );
        body.append(row);
      }
      if (!body.children.length) body.append(cell("No history yet."));
    });
})();
