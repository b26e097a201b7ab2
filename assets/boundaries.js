/*
 * Styles for the boundary-import preview map on /data: the staged grids and townships, with
 * features the validation report flags drawn in red, over the boundaries in use (grey).
 */
(function () {
  "use strict";
  window.gridwatchBoundaries = {
    previewStyle: function (feature, context) {
      const h = context.hideout || {};
      const flagged = feature.properties.flagged;
      if (h.layer === "current") {
        return {color: "#90a4ae", weight: 1.2, dashArray: "4 4", fill: false};
      }
      if (h.layer === "townships") {
        return {color: flagged ? "#c62828" : "#263238", weight: flagged ? 3 : 2, fill: false};
      }
      return {
        color: flagged ? "#c62828" : "#1e88e5",
        weight: flagged ? 2 : 0.6,
        fillColor: flagged ? "#ef5350" : "#90caf9",
        fillOpacity: flagged ? 0.55 : 0.2,
      };
    },
  };
})();
