// The notification bell in the site header, updated live. Without this script the bell still
// shows the count the page was served with. The socket only rings the bell: on every
// (re)connect the server sends the current count, so nothing missed while away is lost.
(() => {
  "use strict";

  const FIRST_DELAY_MS = 1000;
  const MAX_DELAY_MS = 30000;
  const GIVE_UP_CODES = new Set([4401, 4403]); // signed out, or not allowed

  function start() {
    const bell = document.querySelector("[data-bell]");
    const badge = bell && bell.querySelector("[data-bell-count]");
    const number = badge && badge.querySelector("[data-bell-number]");
    if (!bell || !badge || !number || !("WebSocket" in window)) return;

    let unread = parseInt(number.textContent, 10) || 0;
    let socket = null;
    let attempt = 0;
    let stopped = false;
    let retryTimer = null;

    let status = null;

    function say(text) {
      // The polite region is made when first needed (most pages never need it), and filled a
      // moment later so that screen readers notice the change.
      if (!status) {
        status = document.createElement("div");
        status.className = "visually-hidden";
        status.setAttribute("role", "status");
        status.setAttribute("aria-live", "polite");
        status.dataset.bellStatus = "";
        (bell.closest("nav") || document.body).appendChild(status);
      }
      status.textContent = "";
      window.setTimeout(() => {
        status.textContent = text;
      }, 100);
    }

    function show(count) {
      const more = count > unread;
      unread = count;
      number.textContent = String(count);
      badge.hidden = count === 0;
      bell.classList.toggle("bell--unread", count > 0);
      if (more) {
        say(
          count === 1
            ? "You have a new notification"
            : `New notification: ${count} unread notifications`,
        );
      }
    }

    function reconnectLater() {
      // Backoff with jitter, so a restarted server is not met by every page at once.
      const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt);
      attempt += 1;
      window.clearTimeout(retryTimer);
      retryTimer = window.setTimeout(connect, ceiling / 2 + Math.random() * (ceiling / 2));
    }

    function connect() {
      if (stopped) return;
      const scheme = window.location.protocol === "https:" ? "wss" : "ws";
      socket = new WebSocket(`${scheme}://${window.location.host}/ws/notifications/`);
      socket.addEventListener("open", () => {
        attempt = 0;
      });
      socket.addEventListener("message", (event) => {
        let frame;
        try {
          frame = JSON.parse(event.data);
        } catch {
          return;
        }
        if (frame && frame.type === "bell" && Number.isInteger(frame.unread) && frame.unread >= 0) {
          show(frame.unread);
        }
      });
      socket.addEventListener("close", (event) => {
        socket = null;
        if (stopped || GIVE_UP_CODES.has(event.code)) return;
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
    window.addEventListener("pageshow", (event) => {
      // Back from the browser's page cache: the socket was closed on the way out.
      if (event.persisted && stopped) {
        stopped = false;
        attempt = 0;
        connect();
      }
    });
    connect();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
