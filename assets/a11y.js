/*
 * Accessibility patches for Dash 4's own components (issue 14), applied to whatever Dash
 * renders, whenever it renders it (a MutationObserver; React sets the patched attributes
 * again only when their values change, and the observer patches them again then).
 *
 * - dcc.Checklist and dcc.RadioItems render a role=listbox of role=option labels, each label
 *   holding a native checkbox or radio button: an interactive control inside another (axe:
 *   nested-interactive) in a listbox without a name (aria-input-field-name). The native inputs
 *   are the controls, each named by its label, so the options lose role and aria-selected and
 *   the list becomes a group (a radiogroup for radio items) named by the <label for=id> that
 *   points at it, or by the data-group-label of the element around it (layouts give one);
 *   a checklist of one option is no group at all, its checkbox is named by its label.
 * - dcc.Upload's hidden file input gets the drop zone's text as its name (axe: label).
 * - dcc.Dropdown takes the keyboard on a read-only input it hides from screen readers
 *   (aria-hidden yet focusable: aria-hidden-focus), its button being out of the tab order. That
 *   input becomes what it is, the combobox: named as the button is, its expanded state the
 *   button's.
 * - dcc.DatePickerSingle puts aria-expanded/aria-haspopup on a wrapper <div> with no role
 *   (aria-allowed-attr): they move to its text input, the element that takes the keyboard,
 *   with the calendar's open state.
 * - dash-ag-grid draws a header row before its columns show (while it waits for its size,
 *   or for its panel to scroll into view, its header cells are hidden): a role=row without
 *   a cell a screen reader can see (aria-required-children). Such a grid is inert (neither
 *   focusable nor read) until its column headers show.
 */
(function () {
  "use strict";

  const LIST = ".dash-options-list[role=listbox]";
  const OPTION = ".dash-options-list-option[role=option], .dash-options-list-option[aria-selected]";

  function groupName(list) {
    if (list.id) {
      const label = document.querySelector('label[for="' + CSS.escape(list.id) + '"]');
      if (label) {
        if (!label.id) label.id = list.id + "-label";
        return {labelledby: label.id};
      }
    }
    const holder = list.closest("[data-group-label]");
    return holder ? {label: holder.getAttribute("data-group-label")} : null;
  }

  /* Set an attribute only when it differs: the observer watches roles, and an attribute set
     to the value it has is still a mutation. */
  function set(el, name, value) {
    if (el.getAttribute(name) !== value) el.setAttribute(name, value);
  }

  function patchList(list) {
    const radio = list.classList.contains("dash-radioitems");
    const options = list.querySelectorAll(".dash-options-list-option");
    if (!radio && options.length <= 1) {
      set(list, "role", "none");
      return;
    }
    set(list, "role", radio ? "radiogroup" : "group");
    const name = groupName(list);
    if (name && name.labelledby) set(list, "aria-labelledby", name.labelledby);
    else if (name && name.label) set(list, "aria-label", name.label);
  }

  function patchOption(option) {
    option.removeAttribute("role");
    option.removeAttribute("aria-selected");
  }

  function patchUpload(input) {
    const zone = input.parentElement;
    const text = zone ? zone.textContent.trim() : "";
    if (text) set(input, "aria-label", text);
  }

  function patchDropdown(input) {
    const button = input.parentElement && input.parentElement.querySelector("button");
    if (!button) return;
    input.removeAttribute("aria-hidden");
    set(input, "role", "combobox");
    set(input, "aria-haspopup", "listbox");
    set(input, "aria-expanded", button.getAttribute("aria-expanded") || "false");
    const names = button.getAttribute("aria-labelledby");
    if (names) set(input, "aria-labelledby", names);
  }

  function patchDatePicker(wrapper) {
    const input = wrapper.querySelector("input");
    ["aria-expanded", "aria-haspopup", "aria-disabled", "aria-labelledby"].forEach(function (a) {
      wrapper.removeAttribute(a);
    });
    if (!input) return;
    set(input, "role", "combobox");
    set(input, "aria-haspopup", "dialog");
    set(input, "aria-expanded", wrapper.getAttribute("data-state") === "open" ? "true" : "false");
  }

  function patchGrid(grid) {
    const shown = [...grid.querySelectorAll(".ag-header-row [role=columnheader]")]
      .some(function (cell) { return cell.checkVisibility({visibilityProperty: true}); });
    if (!shown && !grid.inert) {
      grid.inert = true;
      grid.dataset.gwWaiting = "1";
    } else if (shown && grid.dataset.gwWaiting) {
      grid.inert = false;
      delete grid.dataset.gwWaiting;
    }
  }

  function patch(root) {
    const scope = root && root.querySelectorAll ? root : document;
    scope.querySelectorAll(LIST).forEach(patchList);
    scope.querySelectorAll(OPTION).forEach(patchOption);
    scope.querySelectorAll("input[type=file]:not([aria-label]):not([id])").forEach(patchUpload);
    scope.querySelectorAll(".dash-dropdown-wrapper > .dash-dropdown-focus-target")
      .forEach(patchDropdown);
    scope.querySelectorAll(".dash-datepicker-input-wrapper").forEach(patchDatePicker);
    scope.querySelectorAll(".ag-root-wrapper").forEach(patchGrid);
  }

  let queued = false;
  function soon() {
    if (queued) return;
    queued = true;
    window.requestAnimationFrame(function () {
      queued = false;
      patch(document);
    });
  }

  new MutationObserver(soon).observe(document.documentElement, {
    childList: true, subtree: true, attributes: true,
    attributeFilter: ["role", "aria-selected", "aria-expanded", "aria-hidden", "data-state",
                      "class"],
  });
  soon();
})();
