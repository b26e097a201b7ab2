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

  // The rotation's progress: the bar under the panel's head fills over the rotation period
  // (a transform animation, the compositor's work), restarted at every step; it stops while
  // the rotation waits for the server.
  function runProgress(n, seconds, paused) {
    const bar = document.querySelector(".wall-progress-bar");
    if (!bar) return;
    if (paused) { bar.classList.add("is-paused"); return; }
    bar.classList.remove("is-paused", "run-a", "run-b");
    bar.style.animationDuration = seconds + "s";
    bar.classList.add(n % 2 ? "run-b" : "run-a");  // a new animation name restarts it
  }

  function step(n, h, config) {
    const seconds = (config && config.rotate) || 20;
    if (h && !h.ok) {
      runProgress(n || 0, seconds, true);
      return nu();
    }
    runProgress(n || 0, seconds, false);
    return {n: n || 0, h: window.innerHeight, w: window.innerWidth};
  }

  // Lists that show whole items only (the "what changed" rows, a focus view's lists): the
  // items that fit their box, then "N more" for the rest, counted from the list's total.
  function fitList(box) {
    const items = Array.from(box.children).filter(el => el.classList.contains("wall-fit-item"));
    const more = Array.from(box.children).find(el => el.classList.contains("wall-fit-more"));
    const total = more ? Number(more.dataset.total) || items.length : items.length;
    items.forEach(el => { el.style.display = ""; });
    if (more) more.hidden = true;
    const limit = box.getBoundingClientRect().bottom + 0.5;
    const bottoms = items.map(el => el.getBoundingClientRect().bottom);
    if (total === items.length && (!items.length || bottoms[bottoms.length - 1] <= limit)) return;
    if (!more) {
      items.forEach((el, i) => { if (bottoms[i] > limit) el.style.display = "none"; });
      return;
    }
    const word = k => more.dataset.template.replace("{n}", String(total - k));
    more.hidden = false;
    let shown = items.length;
    for (;;) {  // the most whole items that leave room for the "more" line under them
      items.forEach((el, i) => { el.style.display = i < shown ? "" : "none"; });
      more.textContent = word(shown);
      if (shown === 0 || more.getBoundingClientRect().bottom <= limit) break;
      shown -= 1;
    }
    if (shown === total) more.hidden = true;
  }

  function fitLists() {
    document.querySelectorAll(".wall .wall-fit").forEach(fitList);
  }

  let fitQueued = false;
  function queueFit() {
    if (fitQueued) return;
    fitQueued = true;
    requestAnimationFrame(() => { fitQueued = false; fitLists(); });
  }
  new MutationObserver(records => {
    if (!document.getElementById("wall")) return;  // another page: nothing to fit
    // new rows or a new panel from the server; not the "more" words written here
    if (records.some(r => r.target.closest && r.target.closest("#wall-changes, #wall-panel")
                          && !r.target.closest(".wall-fit-more")))
      queueFit();
  }).observe(document.documentElement, {childList: true, subtree: true});
  window.addEventListener("resize", queueFit);

  // The alarm's sound (a setting, off by default): browsers let a page sound only after a
  // gesture, so the wall shows a switch; after one click a short chime (synthesised, no file)
  // marks every entry into the alarm state.
  const sound = {context: null, played: 0};
  function chime() {
    const ctx = sound.context;
    if (!ctx || ctx.state !== "running") return false;
    const start = ctx.currentTime + 0.02;
    [[988, 0], [784, 0.22], [988, 0.6], [784, 0.82]].forEach(([hz, at]) => {
      const osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = hz;
      gain.gain.setValueAtTime(0.0001, start + at);
      gain.gain.exponentialRampToValueAtTime(0.35, start + at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + at + 0.2);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start + at);
      osc.stop(start + at + 0.22);
    });
    sound.played += 1;
    return true;
  }
  document.addEventListener("click", event => {
    const button = event.target.closest && event.target.closest(".wall-sound");
    if (!button) return;
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) {
      button.textContent = button.dataset.unavailable;
      return;
    }
    if (!sound.context) sound.context = new Context();
    sound.context.resume().then(() => {
      button.textContent = button.dataset.on;
      button.classList.add("is-on");
      chime();  // the click's answer: this is what the alarm sounds like
    }).catch(() => { button.textContent = button.dataset.unavailable; });
  });
  let alarmShown = false;
  new MutationObserver(() => {
    const alarm = document.getElementById("wall-alarm");  // none on another page
    const shown = !!alarm && !alarm.hidden;
    if (shown && !alarmShown) chime();  // entering the alarm state, not every update of it
    alarmShown = shown;
  }).observe(document.documentElement, {attributes: true, attributeFilter: ["hidden"],
                                          subtree: true});
  window.gridwatchWallSound = {
    state: () => (sound.context ? sound.context.state : "off"),
    played: () => sound.played,
  };

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
