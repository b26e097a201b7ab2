/*
 * The wall's browser side: a health check that never throws (so a dead server shows a banner,
 * not a broken page), the banner itself, the clock, and the pulse of grids that just changed;
 * and the analyst page's version poll, which reads the same live signal.
 */
(function () {
  "use strict";
  const nu = () => window.dash_clientside.no_update;

  // New boundaries mean new geometry: the one time a page must fetch shapes again.
  let firstRegion = null;
  function reloadIfRegionChanged(version) {
    const region = String(version || "").split("-").slice(1).join("-");
    if (!region) return;
    if (firstRegion === null) firstRegion = region;
    else if (region !== firstRegion) window.location.reload();
  }

  // The wall's access ended (a kiosk revoked, a session over): assets/session.js says so.
  function accessEnded() {
    if (window.gridwatchAccessEnded) window.gridwatchAccessEnded();
    throw new Error("access ended");
  }

  // The live signal (GET /live), given up after ``ms``.
  async function fetchLive(ms) {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), ms);
    try {
      return await fetch("/live", {cache: "no-store", signal: ctrl.signal});
    } finally {
      clearTimeout(timer);
    }
  }

  async function health(_n, previous) {
    const now = Date.now();
    let next;
    try {
      const r = await fetchLive(4000);
      if (r.status === 401 || r.status === 403) return accessEnded();
      if (!r.ok) throw new Error("status " + r.status);
      const h = await r.json();
      reloadIfRegionChanged(h.data_version);
      // A new object at least every 30 s lets the server retire old highlights.
      next = {ok: true, version: h.data_version, stale: h.stale, updated_at: h.updated_at,
              slot: Math.floor(now / 30000)};
    } catch (e) {
      next = {ok: false, since: (previous && !previous.ok && previous.since) || now};
    }
    if (previous && JSON.stringify(previous) === JSON.stringify(next)) return nu();
    return next;
  }

  // The analyst page's poll: the store's version row (GET /live), never a snapshot, so a poll
  // costs the server no callback; a new version sets the page's version store, which fires the
  // panels. A failed poll changes nothing (the next one tries again).
  async function pageVersion(_n, known) {
    const none = [nu(), nu()];
    let h;
    try {
      const r = await fetchLive(10000);
      if (r.status === 401 || r.status === 403) {
        if (window.gridwatchAccessEnded) window.gridwatchAccessEnded();
        return none;
      }
      if (!r.ok) return none;
      h = await r.json();
    } catch (e) {
      return none;
    }
    const version = h && h.data_version;
    if (!version || version === known) return none;
    return [version, "v" + version];
  }

  function fmt(ms, tz, withDate) {
    const opts = {hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
                  timeZone: tz};
    if (withDate) Object.assign(opts, {year: "numeric", month: "2-digit", day: "2-digit"});
    return new Intl.DateTimeFormat("zh-CN", opts).format(new Date(ms));
  }

  function banner(h, config) {
    if (config) window.gridwatchWallConfig = config;
    if (!h || !config) return [nu(), nu()];
    const tz = config.timezone;
    if (!h.ok) return [config.text.offline.replace("{since}", fmt(h.since, tz, true)), false];
    if (h.stale) {
      const when = h.updated_at ? fmt(Date.parse(h.updated_at), tz, true) : "—";
      return [config.text.stale.replace("{updated}", when), false];
    }
    return ["", true];
  }

  // The server hears about health only while it answers: going offline triggers no call.
  function live(h) {
    if (!h || !h.ok) return nu();
    return {ok: true, version: h.version, slot: h.slot};
  }

  function step(n, h) {
    if (h && !h.ok) return nu();
    return {n: n || 0, h: window.innerHeight};
  }

  function clock(_n, config) {
    const tz = (config && config.timezone) || undefined;
    return fmt(Date.now(), tz, true);
  }

  // Grids that just changed colour pulse until their highlight time runs out.
  function pulse() {
    const map = window.gridwatchMap;
    if (!map || !map._gwPulse) return;
    const now = Date.now();
    const phase = Math.floor(now / 700) % 2;
    for (const layer of Array.from(map._gwPulse)) {
      if (!layer._map) { map._gwPulse.delete(layer); continue; }
      const hl = layer._gwHighlight;
      if (!hl || hl.until <= now) {
        map._gwPulse.delete(layer);
        const grid = window.gridwatchStyle.grid;  // back to the normal edge
        layer.setStyle({color: grid.color, weight: grid.weight, opacity: grid.opacity});
        continue;
      }
      layer.setStyle({color: hl.dir > 0 ? "#ff1744" : "#00e676", weight: phase ? 6 : 3,
                      opacity: 1});
      layer.bringToFront();
    }
  }
  setInterval(pulse, 350);

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    gridwatchWall: {health: health, banner: banner, clock: clock, step: step,
                    live: live, pageVersion: pageVersion,
                    regionWatch: function (version) {
                      reloadIfRegionChanged(version);
                      return nu();
                    }},
  });
})();
