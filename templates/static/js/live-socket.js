// One live socket for a page, shared by the thread, forum and bell scripts: it connects to a
// path on this host, reconnects with exponential backoff and jitter (so a restarted server is
// not met by every page at once), gives up when the server says the person is signed out or
// not allowed (the server accepts and then closes with 4401 or 4403, so browsers see the code;
// a lost network's pages get an "access_lost" frame first), gives up too after many attempts
// in a row that never opened (a proxy refusing, a page from a foreign origin), and closes
// when the page is left, opening again if the page comes back from the browser's page cache.
// Frames reach `onFrame` as objects with a string `type`; `onGiveUp` is told why it stopped.
(() => {
  "use strict";

  const FIRST_DELAY_MS = 1000;
  const MAX_DELAY_MS = 30000;
  const GIVE_UP_CODES = new Set([4401, 4403]); // signed out, or not allowed
  // About four minutes of backoff without one socket opening.
  const MAX_FAILURES_NEVER_OPENED = 10;
  const REASONS = {
    4401: "You have been signed out. Sign in again to see live updates.",
    4403: "You can no longer see this page. Reload it to see where you are.",
    never: "Live updates have stopped because the connection keeps failing. Reload the page to try again.",
  };

  window.staffroomLiveSocket = (path, { onOpen, onFrame, onClose, onGiveUp } = {}) => {
    let socket = null;
    let attempt = 0;
    let stopped = false;
    let retryTimer = null;
    let failuresNeverOpened = 0;
    let lostAccess = null; // the server's words when a network is lost, before it closes

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
      let opened = false;
      socket.addEventListener("open", () => {
        opened = true;
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
        if (!frame || typeof frame !== "object" || typeof frame.type !== "string") return;
        if (frame.type === "access_lost" && typeof frame.message === "string") {
          lostAccess = frame.message;
          return;
        }
        if (onFrame) onFrame(frame);
      });
      socket.addEventListener("close", (event) => {
        socket = null;
        if (onClose) onClose();
        if (stopped) return;
        // An accepted socket closed straight away counts as opened: its code says why.
        failuresNeverOpened = opened ? 0 : failuresNeverOpened + 1;
        if (GIVE_UP_CODES.has(event.code)) {
          giveUp(event.code, event.code === 4403 && lostAccess ? lostAccess : REASONS[event.code]);
          return;
        }
        if (failuresNeverOpened >= MAX_FAILURES_NEVER_OPENED) {
          giveUp(null, REASONS.never);
          return;
        }
        reconnectLater();
      });
    }

    function giveUp(code, message) {
      stopped = true;
      window.clearTimeout(retryTimer);
      if (onGiveUp) onGiveUp({ code, message });
    }

    window.addEventListener("online", () => {
      if (!socket && !stopped) {
        attempt = 0;
        failuresNeverOpened = 0;
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
        failuresNeverOpened = 0;
        lostAccess = null;
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
