/*
 * The document title: the router gives each page one with the region's own name in it
 * (callbacks/router.py page_title); the browser sets it.
 */
(function () {
  "use strict";

  function set(title) {
    if (typeof title === "string" && title) document.title = title;
    return typeof title === "string" ? title : null;
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    gridwatchTitle: {set: set},
  });
})();
