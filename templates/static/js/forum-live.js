// Live forum pages: a thread that starts or gets a reply moves to the top of the list (after
// the pinned ones) without a reload, announced politely; updates can be paused.
// The page works without this script, and a reload always shows the full, current list.
(() => {
  "use strict";

  function start() {
    const container = document.querySelector(".forum-threads[data-forum-id][data-live]");
    if (!container || !("WebSocket" in window) || !window.staffroomLiveSocket) return;
    const forumId = container.dataset.forumId;
    let paused = false;
    let waiting = [];

    const announcer = document.createElement("div");
    announcer.className = "visually-hidden";
    announcer.setAttribute("role", "status");
    announcer.setAttribute("aria-live", "polite");
    document.body.appendChild(announcer);

    const controls = document.createElement("div");
    controls.className = "live-controls";
    const toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "live-toggle";
    toggle.textContent = "Pause live updates";
    toggle.setAttribute("aria-pressed", "false");
    const note = document.createElement("span");
    note.className = "live-note meta";
    controls.append(toggle, " ", note);
    container.parentNode.insertBefore(controls, container);

    function announce(text) {
      announcer.textContent = "";
      window.setTimeout(() => {
        announcer.textContent = text;
      }, 50);
    }

    function fragment(html) {
      const template = document.createElement("template");
      template.innerHTML = html.trim();
      return template.content.firstElementChild;
    }

    function list() {
      let threads = container.querySelector(".thread-list");
      if (!threads) {
        threads = document.createElement("ul");
        threads.className = "thread-list";
        const empty = container.querySelector(".forum-threads__empty");
        if (empty) empty.remove();
        container.prepend(threads);
      }
      return threads;
    }

    // Pinned threads stay on top; a moving thread goes first among the rest (or first among
    // the pinned ones, if it is pinned).
    function place(card) {
      const threads = list();
      const old = threads.querySelector(`[data-thread-id="${card.dataset.threadId}"]`);
      if (old) old.remove();
      const cards = Array.from(threads.children);
      const before = "pinned" in card.dataset ? cards[0] : cards.find((item) => !("pinned" in item.dataset));
      threads.insertBefore(card, before || null);
    }

    function apply(frame) {
      const card = fragment(frame.html);
      if (!card || !card.dataset.threadId) return false;
      place(card);
      return true;
    }

    function wording(frame) {
      return frame.type === "thread.started" ? `New thread: ${frame.title}` : `New reply in ${frame.title}`;
    }

    function receive(frame) {
      if (paused) {
        waiting.push(frame);
        note.textContent = `${waiting.length} update${waiting.length === 1 ? "" : "s"} waiting`;
        return;
      }
      if (apply(frame)) announce(wording(frame));
    }

    toggle.addEventListener("click", () => {
      paused = !paused;
      toggle.setAttribute("aria-pressed", String(paused));
      if (paused) {
        note.textContent = "Live updates paused";
        return;
      }
      const queued = waiting;
      waiting = [];
      note.textContent = "";
      const applied = queued.filter(apply);
      if (applied.length === 1) announce(wording(applied[0]));
      else if (applied.length > 1) announce(`${applied.length} threads updated`);
    });

    // Back after a drop: cards sent meanwhile were lost, so take the list afresh from the
    // page itself (the database is the record; this also keeps this reader's unread counts).
    let connectedBefore = false;
    async function refresh() {
      try {
        const response = await fetch(window.location.href, { credentials: "same-origin" });
        if (!response.ok) return;
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        const fresh = page.querySelector(".forum-threads[data-forum-id]");
        if (fresh && !paused) container.replaceChildren(...fresh.childNodes);
      } catch {
        // Offline again: the next reconnect tries once more.
      }
    }

    window.staffroomLiveSocket(`/ws/forums/${forumId}/`, {
      onOpen() {
        if (connectedBefore) refresh();
        connectedBefore = true;
      },
      onFrame(frame) {
        if (typeof frame.html !== "string" || typeof frame.title !== "string") return;
        if (frame.type === "thread.started" || frame.type === "thread.replied") receive(frame);
      },
      onGiveUp(reason) {
        const why = (reason && reason.message) || "Live updates are off: reload the page to see new threads.";
        toggle.hidden = true;
        note.textContent = why;
        announce(why);
      },
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
