/*
 * Style, marker and tooltip functions for the dash-leaflet layers.
 *
 * Geometry reaches the browser once (GeoJSON by URL); callbacks only change each layer's
 * `hideout`, and these functions turn it into styles. The hideouts' keys are typed in
 * layouts/map.py (GridHideout, TownshipHideout, ...); the drawing constants come from
 * gridwatch/style.py through the generated window.gridwatchStyle (gridwatch-style.js).
 * For grids the hideout holds `c`, one character per grid in code order (feature property
 * `k`): '0'-'4' the colour index (red..green) of a grid inside the filter, 'a'-'e' the same for
 * a grid outside it, '-' never assessed and inside, '.' never assessed and outside; `p`
 * ({k: character}) patches `c`.
 */
(function () {
  "use strict";
  function S() { return window.gridwatchStyle; }

  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (ch) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[ch];
    });
  }

  function gridState(feature, hideout) {
    const k = feature.properties.k;
    const patch = hideout && hideout.p;
    const ch = (patch && patch[k]) || ((hideout && hideout.c) || "")[k] || "-";
    if (ch === "-") return {colour: null, inFilter: true};
    if (ch === ".") return {colour: null, inFilter: false};
    const code = ch.charCodeAt(0);
    if (code >= 97) return {colour: S().colours[code - 97], inFilter: false};
    return {colour: S().colours[code - 48], inFilter: true};
  }

  // Line widths and marker sizes: `vscale` (the wall) grows them with the screen's height so a
  // 4K wall looks like a 1080p one, only sharper.
  function scaleOf(h) {
    if (h && h.vscale) return h.vscale * Math.max(window.innerHeight / 1080, 0.5);
    return 1;
  }

  function name(props, base, lang) {
    return props[base + "_" + (lang === "en" ? "en" : "zh")];
  }

  // Points are few: draw them as SVG so only the markers themselves catch the mouse (a canvas
  // in a pane above the grids would swallow every click meant for a grid).
  function pointRenderer(map) {
    if (!map) return undefined;
    if (!map._gwPointRenderer) map._gwPointRenderer = L.svg({pane: "points"});
    return map._gwPointRenderer;
  }

  // Village outlines: thin and dashed under the township lines; the chosen village bold.
  const VILLAGE = {fill: false, color: "#455a64", weight: 1, opacity: 0.7, dashArray: "3 3"};
  const VILLAGE_CHOSEN = {fill: false, color: "#1a237e", weight: 3.5, opacity: 1, dashArray: null};

  // Village names give way: the township names first, then the chosen village's, then the
  // others in turn; a name that would overlap one already placed is hidden (until a zoom
  // or move makes room).
  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  function declutterVillages(map) {
    const root = map.getContainer();
    const taken = Array.from(root.querySelectorAll(".gw-township-label span"))
      .map(function (el) { return el.getBoundingClientRect(); });
    const labels = Array.from(root.querySelectorAll(".gw-village-label"));
    labels.sort(function (a, b) {
      return b.classList.contains("is-selected") - a.classList.contains("is-selected");
    });
    labels.forEach(function (el) {
      el.style.visibility = "";
      const box = (el.firstChild || el).getBoundingClientRect();
      if (taken.some(function (other) { return overlaps(box, other); })) {
        el.style.visibility = "hidden";
      } else {
        taken.push(box);
      }
    });
  }

  function declutterSoon(map) {
    if (!map || map._gwDeclutterPending) return;
    map._gwDeclutterPending = true;
    window.requestAnimationFrame(function () {
      setTimeout(function () { map._gwDeclutterPending = false; declutterVillages(map); }, 0);
    });
  }

  function rememberMap(layer, context) {
    // Tests and the wall read the Leaflet map from here; keep only the newest one.
    if (context && context.map) window.gridwatchMap = context.map;
  }

  const gridwatch = {
    gridStyle: function (feature, context) {
      const h = context.hideout || {};
      const palette = h.palette || {};
      const s = gridState(feature, h);
      const selected = h.sel && h.sel === feature.properties.code;
      const st = S();
      if (!s.inFilter) return Object.assign({}, st.muted);
      // Shaded by a ring (``r``: one shade per grid, ``rp``: the five fills) instead.
      const shade = h.r && h.rp ? h.rp[+h.r[feature.properties.k] || 0] : null;
      return {
        fillColor: shade || (s.colour ? palette[s.colour] : st.unmarked),
        fillOpacity: st.grid.fillOpacity,
        color: selected ? st.selected.color : st.grid.color,
        weight: selected ? st.selected.weight : st.grid.weight,
        opacity: selected ? 1 : st.grid.opacity,
      };
    },

    gridTooltip: function (feature, layer, context) {
      rememberMap(layer, context);
      const hl = ((context.hideout || {}).hl || {})[feature.properties.k];
      if (hl && context.map) {
        // The wall's pulse (assets/wall.js) animates this outline until `hl.until`.
        layer._gwHighlight = hl;
        context.map._gwPulse = context.map._gwPulse || new Set();
        context.map._gwPulse.add(layer);
      }
      layer.bindTooltip(function () {
        const h = context.hideout || {};
        const p = feature.properties;
        const s = gridState(feature, h);
        const labels = h.labels || {};
        const since = (h.s || [])[p.k];
        const swatch = s.colour ? (h.palette || {})[s.colour] : S().unmarked;
        return "<div class='gw-tip'><b>" + esc(name(p, "name", h.lang)) + "</b><br>" +
          esc(name(p, "village", h.lang)) + " · " + esc(name(p, "township", h.lang)) + "<br>" +
          "<span class='gw-swatch' style='background:" + swatch + "'></span>" +
          esc(s.colour ? labels[s.colour] : labels.none) +
          (since ? " · " + esc((labels.since || "{since}").replace("{since}", since)) : "") +
          "</div>";
      }, {sticky: true, direction: "top", offset: [0, -6]});
    },

    townshipStyle: function (feature, context) {
      const h = context.hideout || {};
      const st = S();
      const level = String((h.levels || {})[feature.properties.code]);
      const selected = (h.selected || []).indexOf(feature.properties.code) >= 0;
      // The wall's focus view (`focus`, patched in by the rotation): the township it is
      // about, bright and thick, solid. A whole new hideout (new data) has no `focus`: the
      // map keeps the rotation's until the next one says otherwise.
      const map = context.map;
      if (Object.prototype.hasOwnProperty.call(h, "focus")) { if (map) map._gwFocus = h.focus; }
      const focus = Object.prototype.hasOwnProperty.call(h, "focus") ? h.focus
        : (map && map._gwFocus);
      if (focus && focus === feature.properties.code) {
        return {fill: false, color: h.dark ? "#ffeb3b" : "#0d47a1", opacity: 1,
                weight: (st.levelWidth[level] || 2) * scaleOf(h) + 4 * scaleOf(h),
                dashArray: null, className: "gw-focus-township"};
      }
      return {
        fill: false, color: (h.dark ? st.levelStrokeDark : st.levelStroke)[level], opacity: 0.95,
        weight: st.levelWidth[level] * scaleOf(h) + (selected ? st.selectedTownshipExtra : 0),
        dashArray: st.levelDash[level] || null,
      };
    },

    countyStyle: function (feature, context) {
      const dark = (context.hideout || {}).dark;
      const county = S().county;
      return {fill: false, color: dark ? "#e3f2fd" : county.color,
              weight: county.weight * scaleOf(context.hideout), opacity: 1};
    },

    neighbourStyle: function (feature, context) {
      if ((context.hideout || {}).dark) {
        return {fillColor: "#16283a", fillOpacity: 1, color: "#2f4a63", weight: 1, opacity: 1};
      }
      const n = S().neighbour;
      return {fillColor: n.fillColor, fillOpacity: 1, color: n.color, weight: 1, opacity: 1};
    },

    neighbourLabel: function (feature, layer, context) {
      const h = context.hideout || {};
      const p = feature.properties;
      layer.bindTooltip(
        esc(name(p, "name", h.lang)) + "<br><small>" + esc(name(p, "province", h.lang)) + "</small>",
        {permanent: true, direction: "center", className: "gw-neighbour-label"});
    },

    checkpointMarker: function (feature, latlng, context) {
      const h = context.hideout || {};
      const p = feature.properties;
      const figures = (h.v || {})[p.code] || [0, 0];
      const max = Math.max(h.max || 1, 1);
      const cp = S().checkpoint;
      // an open alert (quiet, missed reports, over capacity) restyles the marker: h.a
      const kind = (h.a || {})[p.code];
      const alert = kind ? cp.alert[kind] : null;
      let radius = cp.minRadius + cp.span * Math.sqrt((figures[0] + figures[1]) / max);
      if (alert) radius = Math.max(radius, cp.alertMinRadius);
      const marker = L.circleMarker(latlng, {
        pane: "points", renderer: pointRenderer(context.map), radius: radius * scaleOf(h),
        fillColor: alert ? alert.fillColor : cp.fillColor, fillOpacity: alert ? 0.95 : 0.85,
        color: alert ? alert.color : "#ffffff", weight: (alert ? alert.weight : 1.5) * scaleOf(h),
        dashArray: alert ? alert.dashArray : null,
      });
      const t = h.text || {};
      let tip = "<b>" + esc(name(p, "name", h.lang)) + "</b><br>" +
        esc(t.vehicles || "vehicles") + " " + figures[0] + " · " +
        esc(t.people || "people") + " " + figures[1];
      if (p.capacity > 0 && t.capacity) tip += "<br>" + esc(t.capacity.replace("{n}", p.capacity));
      if (kind) tip += "<br><b class=\"gw-cp-alert-tip\">⚠ " + esc((t.alerts || {})[kind] || kind) + "</b>";
      marker.bindTooltip(tip, {direction: "top"});
      return marker;
    },

    quarantineMarker: function (feature, latlng, context) {
      const h = context.hideout || {};
      const p = feature.properties;
      const icon = L.divIcon({className: "gw-quarantine",
                              html: "<span>" + esc(h.mark || "隔") + "</span>",
                              iconSize: [18, 18]});
      return L.marker(latlng, {icon: icon, keyboard: false})
        .bindTooltip(esc(name(p, "name", h.lang)), {direction: "top"});
    },

    // A red or orange grid the filter keeps: a halo ring and a dot, in their own pane above
    // every symbol and label, at least 2 x radius across however small the grid. Other grids
    // get an empty group (nothing drawn). The marks never catch the mouse: the grid below
    // them keeps its tooltip and click.
    // The same layer marks a grid with open leads past a service level (``b``, only for roles
    // that may see records): a badge just above and right of its centre, so that the hotspot
    // mark of a red or orange grid stays clear; and one with overdue tasks (``o``); it reuses
    // the grid points (fetched once).
    hotspotMarker: function (feature, latlng, context) {
      const h = context.hideout || {};
      const s = gridState(feature, h);
      const hs = S().hotspot;
      const n = (h.b || {})[feature.properties.code];
      const badge = n ? [L.marker(latlng, {
        icon: L.divIcon({className: "gw-lead-mark", html: "<span>!" + (n > 1 ? n : "") + "</span>",
                         iconSize: [18, 18], iconAnchor: [-3, 21]}),
        keyboard: false, interactive: false, pane: "hotspots"})] : [];
      // Task assignments past due (``o``): a purple square with their count, above and left
      // of the centre, so that it clears both the hotspot mark and the lead badge.
      const late = (h.o || {})[feature.properties.code];
      if (late) badge.push(L.marker(latlng, {
        icon: L.divIcon({className: "gw-task-mark", html: "<span>" + late + "</span>",
                         iconSize: [18, 18], iconAnchor: [21, 21]}),
        keyboard: false, interactive: false, pane: "hotspots"}));
      if (!s.inFilter || (s.colour !== "red" && s.colour !== "orange")) return L.layerGroup(badge);
      const size = hs[s.colour];
      const scale = scaleOf(h);
      const fill = (h.palette || {})[s.colour];
      const map = context.map;
      if (map && !map._gwHotspotRenderer) map._gwHotspotRenderer = L.svg({pane: "hotspots"});
      const renderer = map ? map._gwHotspotRenderer : undefined;
      const halo = L.circleMarker(latlng, {
        pane: "hotspots", renderer: renderer, interactive: false, radius: size.halo * scale,
        fill: false, color: fill, weight: size.haloWidth * scale, opacity: hs.haloOpacity,
        className: "gw-hotspot-halo gw-hotspot-" + s.colour,
      });
      const dot = L.circleMarker(latlng, {
        pane: "hotspots", renderer: renderer, interactive: false, radius: size.radius * scale,
        fillColor: fill, fillOpacity: 1, color: hs.rim, weight: 2 * scale, opacity: 1,
        className: "gw-hotspot gw-hotspot-" + s.colour,
      });
      dot.feature = feature;
      return L.layerGroup([halo, dot, ...badge]);
    },

    // Villages (the tree both ways): outlines and names show from zoom `z` on, the pane
    // hidden below it; the chosen village (`sel`) bold. Outlines never catch the mouse: the
    // grids below keep their tooltips and clicks.
    villageStyle: function (feature, context) {
      const h = context.hideout || {};
      const chosen = h.sel && h.sel === feature.properties.code;
      return chosen ? VILLAGE_CHOSEN : VILLAGE;
    },

    villageZoom: function (feature, layer, context) {
      const map = context.map;
      if (!map || map._gwVillageZoom) return;
      map._gwVillageZoom = true;
      function show() {
        const z = ((context.hideout || {}).z) || 0;
        const below = map.getZoom() < z;
        ["villages", "villageLabels"].forEach(function (name) {
          const pane = map.getPane(name);
          if (pane) pane.style.display = below ? "none" : "";
        });
        map.getContainer().classList.toggle("gw-villages-shown", !below);
      }
      map.on("zoomend", show);
      map.on("zoomend moveend", function () { declutterSoon(map); });
      show();
    },

    // A village of a chosen township (`t`): its name, which drills down to it when clicked
    // (the label layer's clickData); the chosen one marked. Others: nothing drawn.
    villageLabel: function (feature, latlng, context) {
      const h = context.hideout || {};
      const p = feature.properties;
      if ((h.t || []).indexOf(p.township_code) < 0) return L.layerGroup([]);
      const chosen = h.sel === p.code;
      const icon = L.divIcon({
        className: "gw-village-label" + (chosen ? " is-selected" : ""),
        html: "<span>" + esc(name(p, "name", h.lang)) + "</span>", iconSize: null,
      });
      declutterSoon(context.map);
      return L.marker(latlng, {icon: icon, keyboard: false, riseOnHover: true,
                               pane: "villageLabels"});
    },

    townshipLabel: function (feature, latlng, context) {
      const h = context.hideout || {};
      const p = feature.properties;
      const selected = (h.selected || []).indexOf(p.code) >= 0;
      const icon = L.divIcon({
        className: "gw-township-label" + (selected ? " is-selected" : ""),
        html: "<span>" + esc(name(p, "name", h.lang)) + "</span>", iconSize: null,
      });
      return L.marker(latlng, {icon: icon, keyboard: false, riseOnHover: true});
    },
  };

  window.gridwatch = Object.assign(window.gridwatch || {}, gridwatch);
})();
