// Search enhancements; without this script the header box and the search page work as
// plain forms.
// 1. The header's search box becomes an ARIA 1.2 combobox offering matching titles: arrows
//    move through them, Enter opens the highlighted one (or searches when none is), Escape
//    closes the list.
// 2. On the search page, ticking a filter or choosing an order applies it at once, and focus
//    returns to the control that was changed after the page reloads.
(() => {
  "use strict";

  const MIN_LENGTH = 2;
  const DELAY_MS = 150;
  const FOCUS_KEY = "staffroom-search-focus";

  function typeahead(input) {
    const source = input.dataset.typeahead;
    if (!source) return;
    const form = input.form;
    const listId = `${input.id}-suggestions`;

    const list = document.createElement("ul");
    list.id = listId;
    list.className = "typeahead";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    const status = document.createElement("div");
    status.className = "visually-hidden";
    // A live region without role="status": the page's own status messages stay the first.
    status.setAttribute("aria-live", "polite");
    status.setAttribute("aria-atomic", "true");
    form.classList.add("site-search--enhanced");
    form.append(list, status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    let results = [];
    let active = -1;
    let timer = null;
    let asked = 0;
    let controller = null;

    function say(text) {
      status.textContent = "";
      window.setTimeout(() => {
        status.textContent = text;
      }, 50);
    }

    function close() {
      results = [];
      active = -1;
      list.hidden = true;
      list.replaceChildren();
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      Array.from(list.children).forEach((option, i) => {
        option.setAttribute("aria-selected", String(i === index));
      });
      if (index >= 0) {
        const option = list.children[index];
        input.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function open(index) {
      const result = results[index];
      if (result) window.location.assign(result.url);
    }

    function show(found) {
      results = found;
      active = -1;
      list.replaceChildren();
      found.forEach((result, index) => {
        const option = document.createElement("li");
        option.id = `${listId}-${index}`;
        option.className = "typeahead__option";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        const title = document.createElement("span");
        title.className = "typeahead__title";
        title.textContent = result.title;
        const kind = document.createElement("span");
        kind.className = "typeahead__kind";
        kind.textContent = result.kind;
        option.append(title, " ", kind);
        // mousedown, not click: the input keeps focus until the new page opens.
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();
          open(index);
        });
        list.append(option);
      });
      if (found.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        const count = found.length === 1 ? "1 suggestion" : `${found.length} suggestions`;
        say(`${count}: use the up and down arrows to choose, Enter to open.`);
      } else {
        close();
      }
    }

    async function lookUp(query) {
      asked += 1;
      const mine = asked;
      if (controller) controller.abort();
      controller = new AbortController();
      let found = [];
      try {
        const response = await fetch(`${source}?q=${encodeURIComponent(query)}`, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
          signal: controller.signal,
        });
        if (!response.ok) return;
        const data = await response.json();
        found = Array.isArray(data.results) ? data.results : [];
      } catch {
        return; // offline, refused or superseded: searching still works
      }
      // A slower answer to an earlier question must not replace a newer one.
      if (mine !== asked || input.value.trim() !== query) return;
      show(found);
    }

    input.addEventListener("input", () => {
      window.clearTimeout(timer);
      const query = input.value.trim();
      if (query.length < MIN_LENGTH) {
        close();
        return;
      }
      timer = window.setTimeout(() => lookUp(query), DELAY_MS);
    });

    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        if (!list.hidden) {
          event.preventDefault();
          close();
          say("Suggestions closed.");
        }
        return;
      }
      if (list.hidden || !results.length) {
        // Down arrow on a closed list opens it again (after Escape, say).
        const query = input.value.trim();
        if (event.key === "ArrowDown" && query.length >= MIN_LENGTH) {
          event.preventDefault();
          lookUp(query);
        }
        return;
      }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % results.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active <= 0 ? results.length - 1 : active - 1);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        open(active);
      }
      // Enter with nothing highlighted submits the form: a full search.
    });

    input.addEventListener("blur", () => {
      window.clearTimeout(timer);
      close();
    });
  }

  function autoSubmit(form) {
    const apply = form.querySelector("[data-apply]");
    if (apply) apply.hidden = true;
    const live = form.querySelector(".search-filters__live");
    if (live) live.hidden = false;
    form.addEventListener("change", (event) => {
      const control = event.target;
      if (!(control instanceof HTMLInputElement || control instanceof HTMLSelectElement)) return;
      // A half-typed date is not a change worth a new search; the browser says when it is whole.
      if (control.type === "date" && control.value && !control.checkValidity()) return;
      try {
        window.sessionStorage.setItem(FOCUS_KEY, control.id);
      } catch {
        // storage refused (private mode): focus simply starts at the top
      }
      form.requestSubmit();
    });
  }

  function restoreFocus() {
    let id = null;
    try {
      id = window.sessionStorage.getItem(FOCUS_KEY);
      window.sessionStorage.removeItem(FOCUS_KEY);
    } catch {
      return;
    }
    const control = id && document.getElementById(id);
    if (control) control.focus();
  }

  function start() {
    document.querySelectorAll("input[data-typeahead]").forEach(typeahead);
    document.querySelectorAll("form[data-auto-submit]").forEach(autoSubmit);
    restoreFocus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
