// One live socket for a page, shared by the thread, forum and bell scripts: it connects to a
// path on this host, reconnects with exponential backoff and jitter (so a restarted server is
// not met by every page at once), gives up when the server says the person is signed out or
// not allowed, and closes when the page is left, opening again if the page comes back from
// the browser's page cache. Frames reach `onFrame` as objects with a string `type`.
(() => {
  "use strict";

  const FIRST_DELAY_MS = 1000;
  const MAX_DELAY_MS = 30000;
  const GIVE_UP_CODES = new Set([4401, 4403]); // signed out, or not allowed

  window.staffroomLiveSocket = (path, { onOpen, onFrame, onClose, onGiveUp } = {}) => {
    let socket = null;
    let attempt = 0;
    let stopped = false;
    let retryTimer = null;

    function reconnectLater() {
      const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt);
      attempt += 1;
      window.clearTimeout(retryTimer);
      retryTimer = window.setTimeout(connect, ceiling / 2 + Math.random() * (ceiling / 2));
    }

    function connect() {
      if (stopped) return;
      const scheme = window.location.protocol === "https:" ? "wss" : "ws";
      socket = new WebSocket(`${scheme}://${window.location.host}${path}`);
      socket.addEventListener("open", () => {
        attempt = 0;
        if (onOpen) onOpen();
      });
      socket.addEventListener("message", (event) => {
        let frame;
        try {
          frame = JSON.parse(event.data);
        } catch {
          return;
        }
        if (frame && typeof frame === "object" && typeof frame.type === "string" && onFrame) {
          onFrame(frame);
        }
      });
      socket.addEventListener("close", (event) => {
        socket = null;
        if (onClose) onClose();
        if (stopped) return;
        if (GIVE_UP_CODES.has(event.code)) {
          if (onGiveUp) onGiveUp();
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
    window.addEventListener("pageshow", (event) => {
      if (event.persisted && stopped) {
        stopped = false;
        attempt = 0;
        connect();
      }
    });
    connect();

    return {
      send(message) {
        if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
      },
    };
  };
})();
