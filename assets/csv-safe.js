/*
 * Formula-safe CSV from the grid table (dash-ag-grid's exportDataAsCsv, in the browser).
 *
 * The same rule as every CSV the server writes (gridwatch/export/tables.py: FORMULA_PREFIXES
 * and neutralise): a text cell that starts with = + - @ a tab or a carriage return gets a
 * leading single quote, so a spreadsheet shows it as text instead of running it as a formula
 * (=HYPERLINK(...), +cmd|...); anything else, numbers included, is left as it is. A unit test
 * checks that the two lists of leading characters are the same and runs this file in Node.
 *
 * dash-ag-grid resolves {"function": "csvSafeCell(params)"} in csvExportParams'
 * processCellCallback against window.dashAgGridFunctions (callbacks/table.py).
 */
(function () {
  "use strict";
  const FORMULA_PREFIXES = ["=", "+", "-", "@", "\t", "\r"];

  function neutralise(value) {
    if (typeof value === "string" && FORMULA_PREFIXES.some((p) => value.startsWith(p))) {
      return "'" + value;
    }
    return value;
  }

  const functions = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
  functions.csvSafeCell = function (params) {
    return neutralise(params.value);
  };
  functions.csvSafeValue = neutralise;
})();
