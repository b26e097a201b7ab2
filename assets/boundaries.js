/*
 * The boundary import on /data.
 *
 * 1. Styles for the preview map: the staged grids and townships, with features the validation
 *    report flags drawn in red, over the boundaries in use (grey).
 * 2. The upload: the form #boundary-file (layouts/boundaries.py) posts its files to
 *    POST /upload/boundaries as multipart/form-data with fetch + FormData, so the page does
 *    not reload. Choosing (or dropping) files checks them (dry_run=1); the Activate button
 *    sends them again to be kept and activated (activate=1). The route answers JSON whose
 *    "view" holds the report, the result line and the preview layers, rendered on the server
 *    in the page's language; they are handed to the Dash components with
 *    dash_clientside.set_props (setting the result line also refreshes the version list).
 *    Dash 4 has no html.Input, so the form's <input type=file> is made here, in the drop
 *    zone's slot, whenever the form is on the page. When "a new region" is ticked, the form
 *    also sends new_region=1, the names typed and replace_history=1 if that box is ticked.
 *    The datum <select> goes as datum.
 * 3. The mapping step (layouts/boundaries.column_mapping): one <select> per field of every
 *    layer read, each set here to the column in use (data-chosen). A choice that differs
 *    from what the aliases find (data-auto) is sent as map=LAYER.FIELD=COLUMN (the CLI's
 *    --map); changing one checks the files again. Choosing new files starts afresh.
 */
(function () {
  "use strict";

  const FORM = "boundary-file";
  const SLOT = ".gw-boundary-file-slot";
  const IDS = {
    report: "boundary-report",
    result: "boundary-result",
    activate: "boundary-activate",
    townships: "boundary-townships",
    grids: "boundary-grids",
  };
  const REGION = {
    newRegion: "boundary-new-region",
    nameZh: "boundary-name-zh",
    nameEn: "boundary-name-en",
    replaceHistory: "boundary-replace-history",
  };
  let generation = 0;

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

  /* Every id is in the boundary section, which is on the page whenever its form is (the map
     layers have no DOM element of their own to look for). */
  function setProps(id, props) {
    const clientside = window.dash_clientside;
    if (clientside && typeof clientside.set_props === "function") {
      clientside.set_props(id, props);
    }
  }

  /* A line of text as a Dash component (what the server's layouts.upload.result renders). */
  function line(type, text, ok) {
    const props = {children: text, className: ok === null ? "gw-muted" :
      (ok ? "gw-upload-valid" : "gw-upload-invalid")};
    if (ok === false) {
      props.role = "alert";
    }
    return {type: type, namespace: "dash_html_components", props: props};
  }

  function fileInput(form) {
    return form.querySelector(SLOT + " input[type=file]");
  }

  /* The form's <input type=file>, made once per rendering of the form. */
  function ensureInput(form) {
    const slot = form.querySelector(SLOT);
    if (!slot || fileInput(form)) {
      return;
    }
    const input = document.createElement("input");
    input.type = "file";
    input.name = slot.dataset.name || "file";
    input.multiple = true;
    input.accept = slot.dataset.accept || "";
    input.className = "gw-boundary-input";
    slot.appendChild(input);
  }

  /* The new-region choice (layouts/boundaries.new_region_fields): its fields go with the
     files only when "a new region" is ticked; the server refuses what does not go together. */
  function ticked(id) {
    const box = document.querySelector("#" + id + " input[type=checkbox]");
    return Boolean(box && box.checked);
  }

  function regionFields(body) {
    if (!ticked(REGION.newRegion)) {
      return;
    }
    body.append("new_region", "1");
    [["name_zh", REGION.nameZh], ["name_en", REGION.nameEn]].forEach(function (pair) {
      const input = document.getElementById(pair[1]);
      const value = input ? input.value.trim() : "";
      if (value) {
        body.append(pair[0], value);
      }
    });
    if (ticked(REGION.replaceHistory)) {
      body.append("replace_history", "1");
    }
  }

  /* The mapping step's choices that differ from what the aliases find. */
  const MAPPING = "#" + IDS.report + " select.gw-map-select";

  function mappingFields(body) {
    document.querySelectorAll(MAPPING).forEach(function (select) {
      const d = select.dataset;
      if (select.value && select.value !== (d.auto || "")) {
        body.append("map", d.layer + "." + d.field + "=" + select.value);
      }
    });
  }

  /* Each rendering of the mapping step: its selects show the columns in use. */
  function showChoices() {
    document.querySelectorAll(MAPPING + ":not([data-shown])").forEach(function (select) {
      select.value = select.dataset.chosen || "";
      select.dataset.shown = "1";
    });
  }

  function chosen(form) {
    const input = fileInput(form);
    return input && input.files ? Array.from(input.files) : [];
  }

  /* Post the chosen files; mode is "dry_run" (check) or "activate"; fresh: new files, so
     the mapping step of the files before is not sent. */
  async function send(form, mode, fresh) {
    const files = chosen(form);
    if (!files.length) {
      return;
    }
    const said = form.dataset;
    const activating = mode === "activate";
    const mine = ++generation;
    setProps(IDS.activate, {disabled: true});
    const total = files.reduce(function (n, file) { return n + file.size; }, 0);
    const cap = Number(said.maxBytes) || 0;
    if (cap && total > cap) {  // what the server would refuse (413): not sent at all
      setProps(IDS.report, {children: [line("P", said.tooLarge, false)]});
      setProps(IDS.townships, {data: null});
      setProps(IDS.grids, {data: null});
      return;
    }
    if (activating) {
      setProps(IDS.result, {children: line("Div", said.activating, null)});
    } else {
      setProps(IDS.report, {children: [line("P", said.checking, null)]});
    }
    const body = new FormData();
    files.forEach(function (file) { body.append("file", file, file.name); });
    body.append("lang", said.lang || "");
    body.append(mode, "1");
    regionFields(body);
    const datum = form.querySelector("select[name=datum]");
    if (datum && datum.value) {
      body.append("datum", datum.value);
    }
    if (!fresh) {
      mappingFields(body);
    }
    const query = new URLSearchParams({lang: said.lang || "", view: "1"});
    let status = "—";
    let answer = null;
    try {
      const response = await fetch(form.getAttribute("action") + "?" + query.toString(), {
        method: "POST", body: body, credentials: "same-origin",
        headers: {Accept: "application/json"},
      });
      status = String(response.status);
      answer = await response.json();
    } catch (err) {
      answer = null;
    }
    if (mine !== generation) {
      return;  // files chosen again meanwhile: only the latest answer is shown
    }
    const view = answer && answer.view;
    if (!view) {  // no answer in the route's shape: a lost connection, a login that ended
      const failed = line(activating ? "Div" : "P",
                          (said.failed || "HTTP {status}").replace("{status}", status), false);
      setProps(activating ? IDS.result : IDS.report,
               {children: activating ? failed : [failed]});
      return;
    }
    if ("report" in view) {
      setProps(IDS.report, {children: view.report});
    }
    if ("townships" in view) {
      setProps(IDS.townships, {data: view.townships});
    }
    if ("grids" in view) {
      setProps(IDS.grids, {data: view.grids});
    }
    if ("result" in view) {
      setProps(IDS.result, {children: view.result});
    }
    setProps(IDS.activate, {disabled: view.activate_disabled !== false});
  }

  function formOf(node) {
    return node && node.closest ? node.closest("#" + FORM) : null;
  }

  document.addEventListener("change", function (event) {
    const form = formOf(event.target);
    if (form && event.target === fileInput(form)) {
      send(form, "dry_run", true);
    } else if (form && (event.target.closest("#" + REGION.newRegion) ||
                        event.target.matches("select[name=datum]"))) {
      send(form, "dry_run");  // a new region or datum is checked as one: check again
    } else if (event.target.matches && event.target.matches(MAPPING)) {
      const owner = document.getElementById(FORM);
      if (owner) {
        send(owner, "dry_run");
      }
    }
  });

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form || form.id !== FORM) {
      return;
    }
    event.preventDefault();
    const submitter = event.submitter;
    send(form, submitter && submitter.name === "activate" ? "activate" : "dry_run");
  }, true);

  /* Files dropped anywhere on the drop zone go into the file input. */
  document.addEventListener("dragover", function (event) {
    if (formOf(event.target)) {
      event.preventDefault();
    }
  });
  document.addEventListener("drop", function (event) {
    const form = formOf(event.target);
    const input = form && fileInput(form);
    if (!input || !event.dataTransfer || !event.dataTransfer.files.length) {
      return;
    }
    event.preventDefault();
    input.files = event.dataTransfer.files;
    input.dispatchEvent(new Event("change", {bubbles: true}));
  });

  /* The page is rendered by Dash (and again on every visit to /data): give each rendering
     of the form its file input. */
  function watch() {
    const form = document.getElementById(FORM);
    if (form) {
      ensureInput(form);
    }
    showChoices();
  }
  new MutationObserver(watch).observe(document.documentElement, {childList: true, subtree: true});
  watch();
})();
