// The live board of one project in admin. It draws the board API's answer, moves cards
// through the move API (drag and drop, arrow keys, or each card's Move control) and draws
// the board again from the server after every move and every event of the project's stream,
// so the page never shows an order the server did not store. The filters are the board
// API's too: the server narrows the whole board, not just the cards on the page, and a
// card's blockers, subtask progress and place in its column come from the server as well.
// Plain JavaScript: admin loads no framework, and the page must work offline.
"use strict";

(function () {
  const root = document.getElementById("kanban-board");
  if (!root) return;
  const urls = root.dataset;
  const PAGE = 50; // cards a column shows until "Show more" asks for the next ones
  const MAX_CARDS = 1000; // the board API's largest limit_per_column: filters find the rest
  const DEBOUNCE_MS = 150; // a burst of events (a planning job writes many tasks) is one fetch
  const TYPING_MS = 300; // a search is sent once the typing pauses
  // The stream names each event `<model>.<verb>`; EventSource only hands named events to
  // listeners of that name, so the ones that change a board are listed.
  const EVENTS = [
    "task.created", "task.changed", "task.moved", "task.deleted",
    "task.claimed", "task.released", "task.claim_broken",
    "taskdependency.created", "taskdependency.deleted",
    "job.succeeded", "job.failed", "job.cancelled",
  ];
  const columns = [...root.querySelectorAll(".board-column")];
  const statuses = columns.map((column) => column.dataset.status);
  const labels = Object.fromEntries(columns.map((column) => [column.dataset.status, column.dataset.label]));
  const filters = root.querySelector(".board-filters");
  const priorities = Object.fromEntries(
    [...filters.elements.priority.options].map((option) => [option.value, option.text]),
  );
  const message = root.querySelector(".board-message");
  const announcement = root.querySelector(".board-announcement");
  const live = root.querySelector(".board-live");

  // `drawn`: the board on the page, as JSON; `wanted`: how many cards each column shows (more
  // after "Show more"); `loads` numbers the fetches so a slow answer never draws over a newer one.
  // `waiting`: an event came mid-drag.
  const state = {
    board: null, drawn: null, tasks: new Map(), wanted: {},
    loads: 0, latest: null, mustRedraw: false, loadFailed: false, dragging: null, waiting: false,
  };

  function columnOf(status) {
    return columns[statuses.indexOf(status)];
  }

  function cookie(name) {
    const pair = document.cookie.split("; ").find((item) => item.startsWith(name + "="));
    return pair ? decodeURIComponent(pair.slice(name.length + 1)) : "";
  }

  // The API's error shape: `detail`, or messages by field (a 400).
  function messageOf(body) {
    if (body && typeof body.detail === "string") return body.detail;
    const fields = Object.entries(body || {}).map(([name, why]) => `${name}: ${[].concat(why).join(" ")}`);
    return fields.join("; ") || "The server refused the request.";
  }

  async function request(url, options = {}) {
    try {
      const response = await fetch(url, {
        ...options,
        credentials: "same-origin",
        headers: { Accept: "application/json", ...options.headers },
      });
      const body = await response.json().catch(() => ({}));
      return { ok: response.ok, body };
    } catch (error) {
      return { ok: false, body: { detail: "The server could not be reached; try again." } };
    }
  }

  function showMessage(text) {
    message.textContent = text;
    message.hidden = !text;
  }

  function announce(text) {
    announcement.textContent = text;
  }

  // The filters as the board API takes them; empty when none is set.
  function filterQuery() {
    const query = new URLSearchParams();
    if (filters.elements.priority.value) query.set("priority", filters.elements.priority.value);
    if (filters.elements.blocked.checked) query.set("blocked", "true");
    const search = filters.elements.search.value.trim();
    if (search) query.set("search", search);
    return query;
  }

  // The board as the API has it under the filters, each column holding its first `wanted`
  // tasks: one request, for as many per column as the column that wants the most.
  async function fetchBoard() {
    const query = filterQuery();
    const limit = Math.min(MAX_CARDS, Math.max(PAGE, ...Object.values(state.wanted)));
    query.set("limit_per_column", limit);
    const { ok, body } = await request(`${urls.boardUrl}?${query}`);
    if (!ok) throw new Error(messageOf(body));
    for (const column of body.columns) {
      column.tasks = column.tasks.slice(0, state.wanted[column.status] || PAGE);
    }
    body.filtered = [...filterQuery()].length > 0;
    return body;
  }

  // Fetches and draws the board; the promise settles once the newest fetch is drawn, so a
  // caller sees its change even when a newer fetch (a stream event) overtook its own.
  // `redraw`: even when the board has not changed (a refused drop moved a card on the page);
  // kept until a draw, so a newer fetch that overtakes this one (a stream event) redraws too.
  function load({ redraw = false } = {}) {
    if (redraw) state.mustRedraw = true;
    state.latest = fetchAndDraw(++state.loads);
    return state.latest;
  }

  async function fetchAndDraw(load) {
    let board;
    try {
      board = await fetchBoard();
    } catch (error) {
      if (load !== state.loads) return state.latest;
      state.loadFailed = true;
      return showMessage(`The board could not be loaded: ${error.message}`);
    }
    if (load !== state.loads) return state.latest;
    if (state.loadFailed) showMessage("");
    state.loadFailed = false;
    // An unchanged board is not drawn again: that would interrupt a drag about to start.
    const drawn = JSON.stringify(board);
    if (drawn === state.drawn && !state.mustRedraw) return;
    state.mustRedraw = false;
    state.drawn = drawn;
    state.board = board;
    render();
  }

  let timer = null;
  function loadSoon() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      // Drawing the board again mid-drag would drop the card being dragged: wait for the drop.
      if (state.dragging) state.waiting = true;
      else load();
    }, DEBOUNCE_MS);
  }

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    node.append(...children);
    return node;
  }

  // "Blocked: waits for 'A', 'B'": the unfinished tasks it waits for, as the server names
  // them (listed on the page or not).
  function blockers(task) {
    return `Blocked: waits for ${task.blocked_by.map((other) => `'${other.title}'`).join(", ")}`;
  }

  // The blocked badge: a button, so the keyboard reaches it; its words show on hover and on
  // focus (Escape hides them), and are its accessible name.
  function blockedBadge(task) {
    const why = blockers(task);
    const tooltip = element("span", { class: "board-tooltip", "aria-hidden": "true" }, why);
    const badge = element("button", { type: "button", class: "badge blocked", "aria-label": why }, "blocked", tooltip);
    badge.addEventListener("keydown", (event) => {
      if (event.key === "Escape") badge.classList.add("quiet");
    });
    badge.addEventListener("blur", () => badge.classList.remove("quiet"));
    badge.addEventListener("mouseleave", () => badge.classList.remove("quiet"));
    return badge;
  }

  function moveControl(task) {
    const select = element("select", { "aria-label": `Move '${task.title}' to` });
    for (const status of statuses) {
      select.append(new Option(labels[status], status, false, status === task.status));
    }
    const button = element("button", { type: "button", class: "button board-move" }, "Move");
    button.addEventListener("click", () => move(task.id, select.value));
    return element("div", { class: "board-card-move" }, select, button);
  }

  function card(task) {
    const link = element(
      "a",
      { href: `${urls.taskAdminUrl}${task.id}/change/`, draggable: "false", class: "board-card-title" },
      task.title,
    );
    const facts = [element("span", { class: `priority-${task.priority}` }, priorities[task.priority])];
    if (task.complexity !== null) {
      facts.push(element("span", { class: "complexity" }, `complexity ${task.complexity}`));
    }
    if (task.blocked) facts.push(blockedBadge(task));
    const checkpoint = task.checkpoint;
    if (checkpoint && checkpoint.required !== "off") {
      const state = checkpoint.result_approved ? "result approved"
        : checkpoint.plan_approved ? "plan approved" : "needs approval";
      const why = `Approval: ${state} (project policy: ${checkpoint.required})`;
      facts.push(element("span", { class: `badge checkpoint ${state.replace(" ", "-")}`, title: why, "aria-label": why }, state));
    }
    if (task.claim) {
      const until = new Date(task.claim.expires_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      const who = `Claimed by ${task.claim.holder} until ${until}`;
      facts.push(element("span", { class: "badge claimed", title: who, "aria-label": who }, task.claim.holder));
    }
    const subtasks = task.subtask_progress;
    if (subtasks.total) facts.push(element("span", { class: "subtasks" }, `${subtasks.done}/${subtasks.total} subtasks`));
    const cost = Number(task.ai_usage.cost);
    if (cost > 0) facts.push(element("span", { class: "cost", title: "AI cost" }, `$${cost.toFixed(4)}`));
    const attributes = { class: "board-card", draggable: "true", tabindex: "0", "data-task-id": task.id };
    return element(
      "li",
      { ...attributes, "aria-describedby": "board-help" },
      link,
      element("div", { class: "board-card-facts" }, ...facts),
      moveControl(task),
    );
  }

  function render() {
    const focused = document.activeElement?.closest?.(".board-card")?.dataset.taskId;
    const tasks = state.board.columns.flatMap((column) => column.tasks);
    state.tasks = new Map(tasks.map((task) => [task.id, task]));
    for (const column of state.board.columns) {
      const section = columnOf(column.status);
      const count = section.querySelector(".board-count");
      const limited = column.wip_limit !== null;
      const whole = limited ? `${column.count}/${column.wip_limit}` : `${column.count}`;
      // Filtered: how many match, of the column's whole count (what the WIP limit is about).
      count.textContent = state.board.filtered ? `${column.matching} of ${whole}` : whole;
      count.title = `${column.count} task(s)` + (limited ? `, WIP limit ${column.wip_limit}` : "")
        + (state.board.filtered ? `, ${column.matching} matching the filters` : "");
      section.classList.toggle("full", limited && column.count >= column.wip_limit);
      section.querySelector(".board-cards").replaceChildren(...column.tasks.map(card));
      section.querySelector(".board-more").hidden =
        column.tasks.length >= Math.min(column.matching, MAX_CARDS);
    }
    if (focused) root.querySelector(`[data-task-id="${focused}"]`)?.focus();
  }

  // `position` is the 0-based index among the column's cards without the moved one; none: last.
  async function move(id, status, position) {
    const title = state.tasks.get(id)?.title;
    const { ok, body } = await request(`${urls.tasksUrl}${id}/move/`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": cookie("csrftoken") },
      body: JSON.stringify(position === undefined ? { status } : { status, position }),
    });
    showMessage(ok ? "" : messageOf(body));
    await load({ redraw: true }); // success or refusal: the server's board says where every card is
    if (!ok) return announce(`'${title}' was not moved.`); // the alert above says why
    const column = state.board.columns.find((each) => each.status === body.status);
    const moved = column.tasks.find((task) => task.id === id); // not listed: past the page, or filtered out
    const place = moved ? `, place ${moved.place + 1} of ${column.count}` : "";
    announce(`Moved '${title}' to ${labels[body.status]}${place}.`);
  }

  function cardsOf(section, except) {
    return [...section.querySelectorAll(".board-card")].filter((node) => node.dataset.taskId !== except);
  }

  // A card's index in its whole column, as the server has it (filters may leave cards out).
  function placeOf(node) {
    return state.tasks.get(node.dataset.taskId).place;
  }

  // The card the drop point is above (by the middle of each card), else none: the end.
  function dropBefore(section, y, id) {
    return cardsOf(section, id).find((node) => {
      const box = node.getBoundingClientRect();
      return y < box.top + box.height / 2;
    });
  }

  // The move's `position` for a card dropped before `before` (else after the column's last
  // card on the page): the place of that card in the whole column, less one when the dragged
  // card comes before it in the same column (it leaves a gap). None: the end of the column.
  function dropPosition(section, id, before) {
    const dragged = state.tasks.get(id);
    const sameColumn = dragged.status === section.dataset.status;
    if (before) {
      const place = placeOf(before);
      return sameColumn && dragged.place < place ? place - 1 : place;
    }
    const cards = cardsOf(section, id);
    if (!cards.length) return undefined;
    const last = placeOf(cards[cards.length - 1]);
    return sameColumn && dragged.place < last ? last : last + 1;
  }

  root.addEventListener("dragstart", (event) => {
    const node = event.target.closest?.(".board-card");
    if (!node) return;
    state.dragging = node.dataset.taskId;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", state.dragging);
    node.classList.add("dragging");
  });

  root.addEventListener("dragover", (event) => {
    if (!state.dragging || !event.target.closest(".board-column")) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = "move";
  });

  root.addEventListener("drop", (event) => {
    const section = event.target.closest(".board-column");
    if (!state.dragging || !section) return;
    event.preventDefault();
    const id = state.dragging;
    const before = dropBefore(section, event.clientY, id);
    const position = dropPosition(section, id, before);
    // Shown where it was dropped at once; the server's board, drawn after the move, has the last word.
    const dragged = root.querySelector(`[data-task-id="${id}"]`);
    section.querySelector(".board-cards").insertBefore(dragged, before || null);
    move(id, section.dataset.status, position);
  });

  root.addEventListener("dragend", (event) => {
    event.target.closest?.(".board-card")?.classList.remove("dragging");
    state.dragging = null;
    if (state.waiting) {
      state.waiting = false;
      loadSoon();
    }
  });

  root.addEventListener("keydown", (event) => {
    const node = event.target;
    if (!node.classList.contains("board-card")) return; // keys in a card's controls are theirs
    const id = node.dataset.taskId;
    const status = node.closest(".board-column").dataset.status;
    const columnStep = { ArrowLeft: -1, ArrowRight: 1 }[event.key];
    const placeStep = { ArrowUp: -1, ArrowDown: 1 }[event.key];
    if (columnStep) {
      const next = statuses[statuses.indexOf(status) + columnStep];
      if (!next) return;
      move(id, next);
    } else if (placeStep) {
      // Past the neighbour on the page: to its place in the whole column.
      const cards = cardsOf(columnOf(status));
      const neighbour = cards[cards.indexOf(node) + placeStep];
      if (!neighbour) return;
      move(id, status, placeOf(neighbour));
    } else {
      return;
    }
    event.preventDefault(); // the arrow keys would scroll the page too
  });

  for (const section of columns) {
    section.querySelector(".board-more").addEventListener("click", () => {
      const shown = section.querySelectorAll(".board-card").length;
      state.wanted[section.dataset.status] = shown + PAGE;
      load();
    });
  }

  // A changed filter asks the server for the board under it (a search once typing pauses).
  let typing = null;
  filters.addEventListener("input", (event) => {
    clearTimeout(typing);
    typing = setTimeout(load, event.target.name === "search" ? TYPING_MS : 0);
  });
  filters.addEventListener("submit", (event) => event.preventDefault());

  // The session cookie authenticates the stream; EventSource reconnects by itself, sending
  // Last-Event-ID, and each (re)opening fetches the board in case something came in between.
  const source = new EventSource(urls.eventsUrl);
  for (const name of EVENTS) source.addEventListener(name, loadSoon);
  source.onmessage = loadSoon;
  source.onopen = () => {
    live.textContent = "Live";
    loadSoon();
  };
  // A stream ends every few minutes and the server may restart: EventSource tries again.
  source.onerror = () => {
    const closed = source.readyState === EventSource.CLOSED;
    live.textContent = closed ? "Not live: reload the page" : "Reconnecting…";
  };
  load();
})();
