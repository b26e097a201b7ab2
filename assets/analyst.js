/*
 * The analyst page's browser side: what needs no server.
 *
 * The grid detail follows the filters' day and the data version only while a grid is open:
 * with none open, a filter change or a new version asks nothing of the server for it.
 */
(function () {
  "use strict";

  function detailContext(filters, version, chosen) {
    if (!chosen || typeof chosen.code !== "string") return window.dash_clientside.no_update;
    return {filters: filters, version: version};
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    gridwatchAnalyst: {detailContext: detailContext},
  });
})();
