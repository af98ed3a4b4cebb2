// The notification bell in the site header, updated live. Without this script the bell still
// shows the count the page was served with. The socket only rings the bell: on every
// (re)connect the server sends the current count, so nothing missed while away is lost.
(() => {
  "use strict";

  function start() {
    const bell = document.querySelector("[data-bell]");
    const badge = bell && bell.querySelector("[data-bell-count]");
    const number = badge && badge.querySelector("[data-bell-number]");
    if (!bell || !badge || !number || !("WebSocket" in window) || !window.staffroomLiveSocket) {
      return;
    }

    let unread = parseInt(number.textContent, 10) || 0;
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

    window.staffroomLiveSocket("/ws/notifications/", {
      onFrame(frame) {
        if (frame.type === "bell" && Number.isInteger(frame.unread) && frame.unread >= 0) {
          show(frame.unread);
        }
      },
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
