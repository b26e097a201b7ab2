/*
 * When the server stops knowing this browser (a session ended, an account disabled, a kiosk
 * revoked), every request it makes answers 401. Without this the page would just stop
 * updating. A kiosk wall (marked by the readable gw_kiosk cookie) says so on screen, for
 * good: nobody is there to sign in. A person's browser goes to the login page and comes back
 * here afterwards.
 */
(function () {
  "use strict";
  let ended = false;

  function accessEnded() {
    if (ended) return;
    ended = true;
    if (/(^|;\s*)gw_kiosk=1/.test(document.cookie)) {
      const text = ((window.gridwatchWallConfig || {}).text || {}).revoked
        || "此大屏的访问权限已被撤销 · Access for this wall display has been revoked";
      const screen = document.createElement("div");
      screen.className = "wall-revoked";
      screen.setAttribute("role", "alert");
      screen.textContent = text;
      document.body.replaceChildren(screen);
    } else {
      window.location.assign("/login?next=" + encodeURIComponent(
        window.location.pathname + window.location.search));
    }
  }
  window.gridwatchAccessEnded = accessEnded;

  const original = window.fetch.bind(window);
  window.fetch = async function (input, init) {
    const response = await original(input, init);
    const url = typeof input === "string" ? input : (input && input.url) || "";
    if (response.status === 401 && (url.indexOf("/_dash-") !== -1 || url.indexOf("/live") === 0
                                     || url.indexOf(window.location.origin + "/live") === 0)) {
      accessEnded();
    }
    return response;
  };
})();
