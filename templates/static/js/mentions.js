// @mentions: typing @ and two letters of a colleague's name offers a list to choose from.
// Progressive enhancement: without this script a handle typed in full still mentions.
// The textarea keeps its own role; it points at the list with aria-controls and at the
// highlighted colleague with aria-activedescendant, and a status region says how many match.
(() => {
  "use strict";

  const MIN_LENGTH = 2;
  const DELAY_MS = 150;
  // The @word just before the caret: not after a letter, dot, @ or slash (emails, paths).
  const TOKEN = /(?:^|[^\w.@/])@([A-Za-z0-9._+-]{2,60})$/;
  let counter = 0;

  function enhance(textarea) {
    const source = textarea.dataset.mentionSource;
    if (!source || textarea.dataset.mentionsReady) return;
    textarea.dataset.mentionsReady = "true";
    counter += 1;
    const listId = `mention-list-${counter}`;

    const hint = document.getElementById(`${textarea.id}_mentionhint`);
    if (hint) {
      const described = (textarea.getAttribute("aria-describedby") || "").split(/\s+/);
      if (!described.includes(hint.id)) described.push(hint.id);
      textarea.setAttribute("aria-describedby", described.filter(Boolean).join(" "));
    }

    const list = document.createElement("ul");
    list.id = listId;
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Colleagues to mention");
    list.hidden = true;
    const status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    textarea.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    textarea.setAttribute("aria-autocomplete", "list");

    let results = [];
    let active = -1;
    let token = null; // {start, end, query} of the @word being completed
    let timer = null;
    let asked = 0;

    function close() {
      results = [];
      active = -1;
      list.hidden = true;
      list.replaceChildren();
      textarea.removeAttribute("aria-activedescendant");
      textarea.removeAttribute("aria-controls");
    }

    function highlight(index) {
      active = index;
      Array.from(list.children).forEach((option, i) => {
        option.setAttribute("aria-selected", String(i === index));
      });
      if (index >= 0) {
        const option = list.children[index];
        textarea.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      } else {
        textarea.removeAttribute("aria-activedescendant");
      }
    }

    function show(found) {
      results = found;
      list.replaceChildren();
      found.forEach((person, index) => {
        const option = document.createElement("li");
        option.id = `${listId}-${index}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.className = "mention-option";
        const name = document.createElement("span");
        name.className = "mention-option__name";
        name.textContent = person.name;
        option.append(name);
        const about = [person.job_title, person.school].filter(Boolean).join(", ");
        if (about) {
          const detail = document.createElement("span");
          detail.className = "mention-option__detail";
          detail.textContent = about;
          option.append(" ", detail);
        }
        // mousedown, not click: the textarea keeps focus (and its caret).
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();
          choose(index);
        });
        list.append(option);
      });
      if (found.length) {
        list.hidden = false;
        textarea.setAttribute("aria-controls", listId);
        highlight(0);
        const count = found.length === 1 ? "1 colleague" : `${found.length} colleagues`;
        say(`${count} found: up and down arrows to choose, Enter to mention, Escape to close.`);
      } else {
        close();
        say("No colleagues found.");
      }
    }

    function say(text) {
      status.textContent = "";
      window.setTimeout(() => {
        status.textContent = text;
      }, 50);
    }

    function choose(index) {
      const person = results[index];
      if (!person || !token) return;
      const before = textarea.value.slice(0, token.start);
      const after = textarea.value.slice(token.end);
      const inserted = `@${person.handle} `;
      textarea.value = before + inserted + after.replace(/^ /, "");
      const caret = before.length + inserted.length;
      textarea.setSelectionRange(caret, caret);
      close();
      say(`${person.name} mentioned.`);
      // Let the draft keeper (thread-live.js) save the change.
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }

    function currentToken() {
      const caret = textarea.selectionStart;
      if (caret !== textarea.selectionEnd) return null;
      const match = TOKEN.exec(textarea.value.slice(0, caret));
      if (!match || match[1].length < MIN_LENGTH) return null;
      return { start: caret - match[1].length - 1, end: caret, query: match[1] };
    }

    async function lookUp(query) {
      asked += 1;
      const mine = asked;
      let found = [];
      try {
        const response = await fetch(`${source}?q=${encodeURIComponent(query)}`, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (!response.ok) return;
        const data = await response.json();
        found = Array.isArray(data.results) ? data.results : [];
      } catch {
        return; // offline or refused: typing the handle in full still works
      }
      // A slower answer to an earlier question must not replace a newer one.
      if (mine !== asked || !token || token.query !== query) return;
      show(found);
    }

    textarea.addEventListener("input", () => {
      token = currentToken();
      window.clearTimeout(timer);
      if (!token) {
        close();
        return;
      }
      const query = token.query;
      timer = window.setTimeout(() => lookUp(query), DELAY_MS);
    });

    textarea.addEventListener("keydown", (event) => {
      if (list.hidden || !results.length) return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % results.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight((active - 1 + results.length) % results.length);
      } else if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey) {
        if (active < 0) return;
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
        token = null;
        say("Suggestions closed.");
      }
    });

    textarea.addEventListener("blur", () => {
      window.clearTimeout(timer);
      close();
    });
  }

  function start() {
    document.querySelectorAll("textarea[data-mention-source]").forEach(enhance);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
