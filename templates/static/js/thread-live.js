// Live thread pages: new, edited and removed posts arrive without a reload.
// The page works without this script; the database is the record and the socket only a
// doorbell, so after every (re)connect we ask for what we missed since the last post we saw.
(() => {
  "use strict";

  const MAX_DELAY_MS = 30000;
  const FIRST_DELAY_MS = 1000;
  const GIVE_UP_CODES = new Set([4401, 4403]); // signed out, or may not read this thread

  function start() {
    const posts = document.querySelector("#posts[data-thread-id][data-last-post-id]");
    if (!posts) return;
    const threadId = posts.dataset.threadId;
    keepDraft(threadId);
    if (!("WebSocket" in window)) return;

    let lastId = parseInt(posts.dataset.lastPostId, 10) || 0;
    let socket = null;
    let attempt = 0;
    let stopped = false;
    let paused = false;
    let waiting = [];
    let retryTimer = null;

    // The whole list must not be a live region (it would read every post aloud): one short,
    // polite announcement per new post instead.
    posts.removeAttribute("aria-live");
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
    posts.parentNode.insertBefore(controls, posts);

    function announce(text) {
      // Cleared first so that the same words twice are still read twice.
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

    function insertInOrder(element, postId) {
      // Catch-up and live events can cross; keep posts in id order whatever arrives first.
      const later = Array.from(posts.querySelectorAll("[data-post-id]")).find(
        (other) => parseInt(other.dataset.postId, 10) > postId,
      );
      posts.insertBefore(element, later || null);
    }

    function apply(frame) {
      const postId = frame.post_id;
      const element = frame.html ? fragment(frame.html) : null;
      const existing = document.getElementById(`post-${postId}`);
      let added = null;
      if (existing && element) {
        existing.replaceWith(element);
      } else if (existing && frame.type === "post.removed") {
        existing.classList.add("post--removed");
        const body = existing.querySelector(".post__body");
        if (body) {
          const placeholder = document.createElement("p");
          placeholder.className = "muted";
          placeholder.textContent = "This post has been removed.";
          body.replaceWith(placeholder);
        }
      } else if (!existing && element && frame.type === "post.created") {
        insertInOrder(element, postId);
        added = element;
      }
      if (frame.type === "post.created") lastId = Math.max(lastId, postId);
      posts.dataset.lastPostId = String(lastId);
      return added;
    }

    function authorOf(element) {
      const author = element && element.querySelector(".post__author");
      return author ? author.textContent.trim() : "";
    }

    function receive(frame) {
      if (paused) {
        waiting.push(frame);
        const count = waiting.filter((item) => item.type === "post.created").length;
        note.textContent = count
          ? `${count} new post${count === 1 ? "" : "s"} waiting`
          : "Updates waiting";
        return;
      }
      const added = apply(frame);
      if (added) {
        const author = authorOf(added);
        announce(author ? `New post from ${author}` : "New post");
      }
    }

    function resume() {
      const queued = waiting;
      waiting = [];
      note.textContent = "";
      let added = 0;
      queued.forEach((frame) => {
        if (apply(frame)) added += 1;
      });
      if (added === 1) announce("1 new post");
      else if (added > 1) announce(`${added} new posts`);
    }

    toggle.addEventListener("click", () => {
      paused = !paused;
      toggle.setAttribute("aria-pressed", String(paused));
      if (paused) note.textContent = "Live updates paused";
      else resume();
    });

    function send(message) {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    }

    function reconnectLater() {
      // Exponential backoff with jitter, so a restarted server is not hit by everyone at once.
      const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt);
      const delay = ceiling / 2 + Math.random() * (ceiling / 2);
      attempt += 1;
      window.clearTimeout(retryTimer);
      retryTimer = window.setTimeout(connect, delay);
    }

    function connect() {
      if (stopped) return;
      const scheme = window.location.protocol === "https:" ? "wss" : "ws";
      socket = new WebSocket(`${scheme}://${window.location.host}/ws/threads/${threadId}/`);
      socket.addEventListener("open", () => {
        attempt = 0;
        send({ action: "catch_up", after: lastId });
      });
      socket.addEventListener("message", (event) => {
        let frame;
        try {
          frame = JSON.parse(event.data);
        } catch {
          return;
        }
        if (!frame || typeof frame !== "object") return;
        if (frame.type === "caught_up") {
          if (frame.more) send({ action: "catch_up", after: lastId });
        } else if (typeof frame.type === "string" && frame.type.startsWith("post.")) {
          receive(frame);
        }
      });
      socket.addEventListener("close", (event) => {
        socket = null;
        if (stopped) return;
        if (GIVE_UP_CODES.has(event.code)) {
          note.textContent = "Live updates are off: reload the page to see new posts.";
          return;
        }
        reconnectLater();
      });
    }

    window.addEventListener("online", () => {
      if (!socket && !stopped) {
        attempt = 0;
        window.clearTimeout(retryTimer);
        connect();
      }
    });
    window.addEventListener("pagehide", () => {
      stopped = true;
      window.clearTimeout(retryTimer);
      if (socket) socket.close(1000);
    });
    connect();
  }

  // A reply being written survives a reload: kept per thread until it is posted.
  function keepDraft(threadId) {
    const textarea = document.querySelector("form textarea[name=body]");
    if (!textarea || !textarea.form) return;
    const key = `staffroom:draft:thread:${threadId}`;
    const sentKey = `staffroom:sent:thread:${threadId}`;
    const store = storage("localStorage");
    const session = storage("sessionStorage");
    if (!store) return;

    const refused = document.querySelector("[data-error-summary]");
    if (session && session.getItem(sentKey)) {
      session.removeItem(sentKey);
      // Posted and back on the thread without errors: the draft has done its job.
      if (!refused) store.removeItem(key);
    }
    const draft = store.getItem(key);
    if (draft && !textarea.value.trim()) textarea.value = draft;

    textarea.addEventListener("input", () => {
      try {
        if (textarea.value.trim()) store.setItem(key, textarea.value);
        else store.removeItem(key);
      } catch {
        // Storage full or refused: the draft is a courtesy, not a promise.
      }
    });
    textarea.form.addEventListener("submit", () => {
      if (session) session.setItem(sentKey, "1");
    });
  }

  function storage(name) {
    try {
      const store = window[name];
      const probe = "staffroom:probe";
      store.setItem(probe, probe);
      store.removeItem(probe);
      return store;
    } catch {
      return null;
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
