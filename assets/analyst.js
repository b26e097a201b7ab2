/*
 * The analyst page's browser side: what needs no server.
 *
 * The grid detail follows the filters' day and the data version only while a grid is open:
 * with none open, a filter change or a new version asks nothing of the server for it.
 *
 * A click on a lead register row opens that lead's timeline, one on the register of orders and
 * notices opens that one: the row's id is all it takes. The register's search box filters its
 * rows in the browser.
 *
 * The grid table's count columns sort with their suppression labels in place: "<5" stands
 * for 1 to 4, so it sorts after 0 and before 5 (dash-ag-grid resolves the comparator
 * {"function": "countOrder"} against window.dashAgGridFunctions; layouts/analyst.py).
 *
 * Panels are filled while they are on or near the screen (as Grafana loads its panels): the
 * page names the element each panel is watched by (#panels-watch, data-panels, from
 * layouts/analyst.PANEL_WATCH); an IntersectionObserver on each one's card keeps the store
 * panels-in-view up to date, and the panels callback fills those that do not show the current
 * filters yet (callbacks/panels.py). Without IntersectionObserver every panel is in view.
 *
 * The map's search results are links (each to the view standing at it); the arrow keys move
 * from the search field through them and Escape goes back to the field.
 *
 * The date picker (Dash 4) names months and weekdays in the first locale of
 * window.dateFns.locale that matches the browser's languages, else in the first one offered:
 * the page offers the Chinese one (assets/date-fns-zh-CN.min.js) only while it is in Chinese,
 * and none (date-fns' English) otherwise.
 */
(function () {
  "use strict";

  function detailContext(filters, version, chosen) {
    if (!chosen || typeof chosen.code !== "string") return window.dash_clientside.no_update;
    return {filters: filters, version: version};
  }

  function chosenRow(cell) {
    if (!cell || typeof cell.rowId !== "string") return window.dash_clientside.no_update;
    return {code: cell.rowId};
  }

  // The register's search box filters its rows in the browser (AG Grid's quick filter).
  function quickFilter(text) {
    return new window.dash_clientside.Patch()
      .assign(["quickFilterText"], typeof text === "string" ? text : "").build();
  }

  function countRank(value) {
    if (typeof value === "number") return value;
    if (typeof value === "string" && value.startsWith("<")) {
      const below = parseFloat(value.slice(1));
      if (!isNaN(below)) return below - 0.5;
    }
    return -1;  // no figure: first
  }

  const functions = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
  functions.countOrder = function (a, b) {
    return countRank(a) - countRank(b);
  };

  const WATCH_ID = "panels-watch", IN_VIEW_ID = "panels-in-view";
  const AHEAD = "0px 0px 240px 0px";  // a panel about to scroll in is filled already
  let watched = null, observer = null, reported = null;
  const inView = new Set();

  function report() {
    const names = Array.from(inView).sort();
    const text = names.join(",");
    const clientside = window.dash_clientside;
    if (text === reported || !clientside || typeof clientside.set_props !== "function") return;
    reported = text;
    clientside.set_props(IN_VIEW_ID, {data: names});
  }

  let panels = {}, attached = {};

  function attach(name) {
    const el = document.getElementById(panels[name]);
    if (!el) return;
    const card = el.closest(".gw-card") || el;
    if (attached[name] && observer) observer.unobserve(attached[name]);
    card.setAttribute("data-panel", name);
    attached[name] = card;
    if (observer) observer.observe(card);
    else inView.add(name);  // no IntersectionObserver: every panel is in view
  }

  let dateLocales = null, dateLang = null;

  function dateLanguage() {
    const page = document.querySelector(".gw-analyst[lang]");
    if (!page || page.getAttribute("lang") === dateLang) return;
    dateLang = page.getAttribute("lang");
    if (dateLocales === null) dateLocales = Object.assign({}, (window.dateFns || {}).locale);
    const zh = dateLang === "zh" && dateLocales.zhCN;
    window.dateFns = Object.assign({}, window.dateFns, {locale: zh ? {zhCN: dateLocales.zhCN} : {}});
  }

  function watch() {
    dateLanguage();
    const holder = document.getElementById(WATCH_ID);
    if (!holder) return;
    if (holder !== watched) {  // a page opened (or opened again in another language)
      watched = holder;
      if (observer) observer.disconnect();
      observer = null;
      inView.clear();
      reported = null;
      attached = {};
      try { panels = JSON.parse(holder.getAttribute("data-panels") || "{}"); } catch (e) { panels = {}; }
      if ("IntersectionObserver" in window) {
        observer = new IntersectionObserver(function (entries) {
          entries.forEach(function (entry) {
            const name = entry.target.getAttribute("data-panel");
            if (entry.isIntersecting) inView.add(name); else inView.delete(name);
          });
          report();
        }, {rootMargin: AHEAD});
      }
    }
    const missing = Object.keys(panels).filter(function (name) {
      return !attached[name] || !attached[name].isConnected;
    });
    if (!missing.length) return;
    missing.forEach(attach);
    if (!observer) report();
  }

  // The map's search (layouts/analyst.navigation_bar): its results are links; the arrow
  // keys move between the field and them, Escape goes back to the field, Enter follows one.
  document.addEventListener("keydown", function (event) {
    const field = document.getElementById("map-search");
    if (!field) return;
    const results = Array.from(document.querySelectorAll("#map-search-results .gw-search-result"));
    const at = results.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && (document.activeElement === field || at >= 0)) {
      if (results.length) results[Math.min(at + 1, results.length - 1)].focus();
      event.preventDefault();
    } else if (event.key === "ArrowUp" && at >= 0) {
      (at === 0 ? field : results[at - 1]).focus();
      event.preventDefault();
    } else if (event.key === "Escape" && at >= 0) {
      field.focus();
      event.preventDefault();
    }
  });

  // The router renders the page after the first paint, and again for another language.
  new MutationObserver(watch).observe(document.documentElement, {childList: true, subtree: true});

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    gridwatchAnalyst: {detailContext: detailContext, chosenRow: chosenRow,
                       quickFilter: quickFilter},
  });
})();
