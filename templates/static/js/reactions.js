// Reactions without a page reload. The forms work without this script (the server answers
// with a redirect back to the post); with it, the reaction is sent with fetch and the live
// update repaints the counts for every reader. Live fragments are the same for everyone, so
// this script remembers which reactions are the viewer's and marks them again (aria-pressed)
// whenever a post is repainted.
(() => {
  "use strict";

  const given = new Map(); // post id -> Set of kinds the viewer has given

  function postIdOf(element) {
    const post = element.closest("[data-post-id]");
    return post ? post.dataset.postId : null;
  }

  function mark(form) {
    const mine = given.get(postIdOf(form)) || new Set();
    // Nobody reacts to their own post (the server refuses too); the counts still show.
    const posts = document.getElementById("posts");
    const post = form.closest("[data-post-id]");
    const own = Boolean(
      posts && post && post.dataset.authorId && post.dataset.authorId === posts.dataset.viewerId,
    );
    form.querySelectorAll("button[name=kind]").forEach((button) => {
      button.setAttribute("aria-pressed", String(mine.has(button.value)));
      button.disabled = own;
    });
  }

  function token(form) {
    const own = form.querySelector("input[name=csrfmiddlewaretoken]");
    const any = own || document.querySelector("input[name=csrfmiddlewaretoken]");
    return any ? any.value : "";
  }

  function report(form, text) {
    let note = form.querySelector(".reactions__note");
    if (!note) {
      note = document.createElement("span");
      note.className = "reactions__note";
      note.setAttribute("role", "status");
      form.append(note);
    }
    note.textContent = text;
  }

  async function send(form, button) {
    const postId = postIdOf(form);
    const body = new FormData();
    body.append("kind", button.value);
    let response;
    let data = {};
    try {
      response = await fetch(form.action, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": token(form) },
      });
      data = await response.json();
    } catch {
      report(form, "Your reaction could not be saved. Try again.");
      return;
    }
    if (!response.ok) {
      report(form, data.error || "Your reaction could not be saved. Try again.");
      return;
    }
    const mine = given.get(postId) || new Set();
    if (data.given) mine.add(data.kind);
    else mine.delete(data.kind);
    given.set(postId, mine);
    // The live update repaints the counts too; this covers a socket that is down.
    const current = document.querySelector(`[data-post-id="${postId}"] form[data-reactions]`);
    const target = current || form;
    Object.entries(data.counts || {}).forEach(([kind, count]) => {
      const span = target.querySelector(`button[value="${kind}"] [data-count]`);
      if (span) span.textContent = String(count);
    });
    mark(target);
    const note = target.querySelector(".reactions__note");
    if (note) note.textContent = "";
  }

  function start() {
    const forms = document.querySelectorAll("form[data-reactions]");
    if (!forms.length || !("fetch" in window)) return;
    forms.forEach((form) => {
      const postId = postIdOf(form);
      const mine = new Set();
      form.querySelectorAll('button[name=kind][aria-pressed="true"]').forEach((button) => {
        mine.add(button.value);
      });
      given.set(postId, mine);
      mark(form);
    });

    document.addEventListener("submit", (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.matches("form[data-reactions]")) return;
      const button = event.submitter;
      if (!button || button.name !== "kind") return;
      event.preventDefault();
      send(form, button);
    });

    // Posts repainted or added live carry no per-viewer marks: put the viewer's back.
    const posts = document.getElementById("posts");
    if (posts) {
      new MutationObserver((changes) => {
        changes.forEach((change) => {
          change.addedNodes.forEach((node) => {
            if (!(node instanceof Element)) return;
            const found = node.matches("form[data-reactions]")
              ? [node]
              : node.querySelectorAll("form[data-reactions]");
            found.forEach(mark);
          });
        });
      }).observe(posts, { childList: true, subtree: true });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
