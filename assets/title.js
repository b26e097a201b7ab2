/*
 * The document title: the router gives each page one with the region's own name in it
 * (callbacks/router.py page_title); the browser sets it. And the document's language: the
 * page's (<html lang>, as layouts/shell.html_lang writes it), for screen readers and fonts.
 */
(function () {
  "use strict";

  function set(title) {
    if (typeof title === "string" && title) document.title = title;
    return typeof title === "string" ? title : null;
  }

  function lang(code) {
    const tag = code === "en" ? "en" : "zh-CN";
    if (typeof code === "string" && code) document.documentElement.lang = tag;
    return tag;
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    gridwatchTitle: {set: set, lang: lang},
  });
})();
