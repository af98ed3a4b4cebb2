// Live thread pages: new, edited, removed and hidden posts and reactions arrive without a
// reload, with who is typing and who else is reading.
// The page works without this script; the database is the record and the socket only a
// doorbell, so after every (re)connect we ask for every change since the last revision we saw.
(() => {
  "use strict";

  const TYPING_EVERY_MS = 3500; // the server passes on at most one "typing" per 3 s
  const TYPING_SHOWN_MS = 6000;
  const HEARTBEAT_MS = 30000;
  const READER_EXPIRES_MS = 70000;
  // Each change to the thread's posts has the next revision. Events can arrive out of order
  // (two servers announcing at once) or not at all (the channel layer drops, or Redis dies
  // between a save and its announcement): a gap still open after this long is filled from
  // the database.
  const GAP_WAIT_MS = 3000;
  const MAX_HAVE = 200; // as the server's catch-up limit

  function start() {
    const posts = document.querySelector("#posts[data-thread-id][data-last-post-id]");
    if (!posts) return;
    const threadId = posts.dataset.threadId;
    keepDraft(threadId);
    findLinkedPosts(posts);
    if (!("WebSocket" in window) || !window.staffroomLiveSocket) return;

    const viewer = {
      id: posts.dataset.viewerId || "",
      moderates: "viewerModerates" in posts.dataset,
      canReply: "viewerCanReply" in posts.dataset,
      reveals: "viewerReveals" in posts.dataset,
    };
    let lastId = parseInt(posts.dataset.lastPostId, 10) || 0;
    // Threads are paged: new posts are added live on the last page only; an earlier page says
    // there are new replies instead. Posts of earlier pages are never pulled onto this one.
    const laterPages = "laterPages" in posts.dataset;
    const firstPostId = parseInt(posts.dataset.firstPostId, 10) || 0;
    let newerNotice = null;
    // Every change up to `lastRevision` is on the page; `ahead` holds the revisions received
    // beyond it, across a gap. Catching up from the highest revision seen would skip the gap.
    let lastRevision = parseInt(posts.dataset.lastRevision, 10) || 0;
    const ahead = new Set();
    let gapTimer = null;
    let live = null;
    let paused = false;
    let waiting = [];

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
    const readersLine = document.createElement("p");
    readersLine.className = "live-readers meta";
    controls.append(toggle, " ", note, readersLine);
    posts.parentNode.insertBefore(controls, posts);

    // Who is typing: shown, but not a live region, so it is not read aloud at every keypress.
    const typingLine = document.createElement("p");
    typingLine.className = "live-typing meta";
    typingLine.setAttribute("aria-live", "off");
    posts.parentNode.insertBefore(typingLine, posts.nextSibling);

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

    // The fragment is the same for every reader; unhide the controls this viewer may use.
    // The server checks every action again, so this is only what is shown.
    function entitle(element) {
      const authorId = element.dataset.authorId; // absent on anonymous posts
      const own = authorId !== undefined && authorId === viewer.id;
      element.querySelectorAll("[data-for]").forEach((control) => {
        const roles = control.dataset.for.split(/\s+/);
        control.hidden = !(
          (roles.includes("author") && own) ||
          (roles.includes("moderator") && viewer.moderates) ||
          (roles.includes("revealer") && viewer.reveals) ||
          (roles.includes("reader") && viewer.canReply && !own)
        );
      });
    }

    function insertInOrder(element, postId) {
      // Catch-up and live events can cross; keep posts in id order whatever arrives first.
      const later = Array.from(posts.querySelectorAll("[data-post-id]")).find(
        (other) => parseInt(other.dataset.postId, 10) > postId,
      );
      posts.insertBefore(element, later || null);
    }

    // Every post event is an upsert by post id: replace the post if we have it (unless ours is
    // newer), insert it in order if not. Returns the element when a new post was added.
    function apply(frame) {
      if (typeof frame.html !== "string") return null;
      const element = fragment(frame.html);
      if (!element) return null;
      const postId = frame.post_id;
      const revision = frame.revision || parseInt(element.dataset.revision, 10) || 0;
      const existing = document.getElementById(`post-${postId}`);
      entitle(element);
      if (existing) {
        const shown = parseInt(existing.dataset.revision, 10) || 0;
        if (revision && shown > revision) return null; // a late frame: we already show newer
        existing.replaceWith(element);
        const history = element.nextElementSibling;
        if (element.classList.contains("post--removed") && history && history.matches(".post-history")) {
          history.remove(); // a removed or hidden post keeps no earlier versions on show
        }
        return null;
      }
      if (laterPages || (firstPostId && postId < firstPostId)) {
        if (laterPages && frame.type === "post.created") showNewer();
        return null;
      }
      insertInOrder(element, postId);
      return frame.type === "post.created" && !element.classList.contains("post--removed")
        ? element
        : null;
    }

    function showNewer() {
      if (newerNotice) return;
      newerNotice = document.createElement("p");
      newerNotice.className = "panel newer-replies";
      const link = document.createElement("a");
      link.href = posts.dataset.latestUrl || "?page=last";
      link.textContent = "There are new replies: go to the latest page";
      newerNotice.append(link);
      posts.parentNode.insertBefore(newerNotice, posts.nextSibling);
      announce("There are new replies on the latest page");
    }

    function authorOf(element) {
      const author = element && element.querySelector(".post__author");
      return author ? author.textContent.trim() : "";
    }

    function settle() {
      while (ahead.has(lastRevision + 1)) {
        lastRevision += 1;
        ahead.delete(lastRevision);
      }
      ahead.forEach((revision) => {
        if (revision <= lastRevision) ahead.delete(revision);
      });
      if (ahead.size && gapTimer === null) {
        gapTimer = window.setTimeout(() => {
          gapTimer = null;
          if (ahead.size) catchUp();
        }, GAP_WAIT_MS);
      } else if (!ahead.size && gapTimer !== null) {
        window.clearTimeout(gapTimer);
        gapTimer = null;
      }
      posts.dataset.lastPostId = String(lastId);
      posts.dataset.lastRevision = String(lastRevision);
    }

    function remember(frame) {
      if (typeof frame.post_id === "number") lastId = Math.max(lastId, frame.post_id);
      if (typeof frame.revision === "number" && frame.revision > lastRevision) {
        ahead.add(frame.revision);
      }
      settle();
    }

    // The server has sent every change up to `revision`.
    function caughtUp(frame) {
      if (typeof frame.last_post_id === "number") lastId = Math.max(lastId, frame.last_post_id);
      if (typeof frame.revision === "number") lastRevision = Math.max(lastRevision, frame.revision);
      settle();
    }

    function receive(frame) {
      remember(frame);
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
        stopTyping(author);
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

    // Typing: names only where the forum shows them; "Someone" in anonymous forums.
    const typists = new Map(); // person key (or "someone") -> {name, timer}

    function showTyping() {
      const names = Array.from(typists.values()).map((typist) => typist.name);
      let text = "";
      if (names.some((name) => !name)) text = "Someone is typing…";
      else if (names.length === 1) text = `${names[0]} is typing…`;
      else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
      else if (names.length > 2) text = "Several people are typing…";
      if (typingLine.textContent !== text) typingLine.textContent = text;
    }

    function startTyping(frame) {
      const key = frame.person || "someone";
      const known = typists.get(key);
      if (known) window.clearTimeout(known.timer);
      const timer = window.setTimeout(() => {
        typists.delete(key);
        showTyping();
      }, TYPING_SHOWN_MS);
      typists.set(key, { name: typeof frame.name === "string" ? frame.name : "", timer });
      showTyping();
    }

    function stopTyping(author) {
      typists.forEach((typist, key) => {
        if (!typist.name || typist.name === author) {
          window.clearTimeout(typist.timer);
          typists.delete(key);
        }
      });
      showTyping();
    }

    // Who else is reading: one entry per socket, shown once per person.
    const readers = new Map(); // socket key -> {person, name, seen}

    function showReaders() {
      const people = new Map();
      readers.forEach((reader) => {
        if (!people.has(reader.person)) people.set(reader.person, reader.name);
      });
      const names = Array.from(people.values());
      let text = "";
      if (names.length && names.every((name) => name)) text = `Also reading: ${names.join(", ")}`;
      else if (names.length) {
        text = `Also reading: ${names.length} colleague${names.length === 1 ? "" : "s"}`;
      }
      if (readersLine.textContent !== text) readersLine.textContent = text;
    }

    function presence(frame) {
      if (typeof frame.key !== "string" || typeof frame.person !== "string") return;
      if (frame.event === "left") readers.delete(frame.key);
      else if (frame.event === "here") {
        const name = typeof frame.name === "string" ? frame.name : "";
        readers.set(frame.key, { person: frame.person, name, seen: Date.now() });
      }
      showReaders();
    }

    window.setInterval(() => {
      const now = Date.now();
      readers.forEach((reader, key) => {
        if (now - reader.seen > READER_EXPIRES_MS) readers.delete(key);
      });
      showReaders();
    }, 10000);

    function send(message) {
      if (live) live.send(message);
    }

    const reply = document.querySelector("form.reply-form textarea[name=body]");
    let typingSentAt = 0;
    if (reply && viewer.canReply) {
      reply.addEventListener("input", () => {
        const now = Date.now();
        if (now - typingSentAt < TYPING_EVERY_MS || !reply.value.trim()) return;
        typingSentAt = now;
        send({ action: "typing" });
      });
    }
    window.setInterval(() => send({ action: "here" }), HEARTBEAT_MS);

    function catchUp() {
      // What we hold beyond the gap is not sent again.
      const have = Array.from(ahead)
        .sort((a, b) => a - b)
        .slice(0, MAX_HAVE);
      send({ action: "catch_up", after: lastId, revision: lastRevision, have });
    }

    live = window.staffroomLiveSocket(`/ws/threads/${threadId}/`, {
      onOpen() {
        catchUp();
        send({ action: "here" });
      },
      onFrame(frame) {
        if (frame.type === "caught_up") {
          caughtUp(frame);
          if (frame.more) catchUp();
        } else if (frame.type.startsWith("post.")) {
          receive(frame);
        } else if (frame.type === "typing") {
          startTyping(frame);
        } else if (frame.type === "presence") {
          presence(frame);
        }
      },
      onClose() {
        // Whoever we knew of says "here" again to the new socket when it joins.
        readers.clear();
        showReaders();
      },
      onGiveUp(reason) {
        // Why it stopped, where the pause button was, and read out once.
        const why = (reason && reason.message) || "Live updates are off: reload the page to see new posts.";
        toggle.hidden = true;
        note.textContent = why;
        announce(why);
        readers.clear();
        showReaders();
        typingLine.textContent = "";
      },
    });
  }

  // Links to a post reach its page through /forums/posts/<id>/; when the post is on this page,
  // scroll to it instead. An old link (the thread's address and #post-<id>) that lands on a
  // page without the post goes on to the post's own address, which knows its page.
  function findLinkedPosts(posts) {
    const wanted = /^#post-(\d+)$/.exec(window.location.hash);
    if (wanted && !document.getElementById(`post-${wanted[1]}`)) {
      window.location.replace(`/forums/posts/${wanted[1]}/`);
      return;
    }
    posts.addEventListener("click", (event) => {
      const link = event.target.closest("a[data-post-link]");
      if (!link || !document.getElementById(`post-${link.dataset.postLink}`)) return;
      event.preventDefault();
      window.location.hash = `post-${link.dataset.postLink}`;
    });
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
    const prefilled = textarea.value.trim();
    if (draft && (!prefilled || draft.includes(prefilled))) {
      textarea.value = draft;
    } else if (draft) {
      // Quoting a post while a reply was half-written: the quote first, then the words kept.
      textarea.value = `${textarea.value}${draft}`;
      try {
        store.setItem(key, textarea.value);
      } catch {
        // As below: the draft is a courtesy.
      }
    }

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
