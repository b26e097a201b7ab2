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

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    gridwatchAnalyst: {detailContext: detailContext, chosenRow: chosenRow,
                       quickFilter: quickFilter},
  });
})();
