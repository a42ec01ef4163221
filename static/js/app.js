// LeadSite: small progressive enhancements, no inline handlers (CSP forbids them).
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", () => {
  // Phones: the Menu button opens and closes the navigation (sections, user, log out).
  document.querySelectorAll("[data-menu-toggle]").forEach((button) => {
    const menu = document.getElementById(button.getAttribute("aria-controls"));
    button.addEventListener("click", () => {
      const open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("open", open);
    });
  });
  // The lead form's routing preview (htmx) follows the fields routing reads: a
  // change of one of them is announced to its form as "routing-change" (an htmx
  // trigger filter would need eval, which the CSP forbids).
  document.addEventListener("change", (event) => {
    const field = event.target;
    if (field.form && field.hasAttribute("data-routing")) {
      field.form.dispatchEvent(new Event("routing-change"));
    }
  });
  // "Select all" checkbox for bulk actions on list pages.
  document.querySelectorAll("[data-select-all]").forEach((box) => {
    box.addEventListener("change", () => {
      document.querySelectorAll(box.dataset.selectAll).forEach((row) => {
        row.checked = box.checked;
      });
      document.dispatchEvent(new Event("leadsite:selection"));
    });
  });
  // Secondary cards start closed on phones, so a record page stays short there.
  if (window.matchMedia("(max-width: 720px)").matches) {
    document.querySelectorAll("details[data-collapse-on-phone]").forEach((details) => {
      details.open = false;
    });
  }
  // Buttons that ask before a destructive action.
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (event) => {
      if (!window.confirm(el.dataset.confirm)) event.preventDefault();
    });
  });
  // Bulk bar: shown only while rows are selected, with only the chosen action's inputs.
  const bar = document.querySelector("[data-bulk-bar]");
  if (bar) {
    const boxes = () => document.querySelectorAll(`input[type=checkbox][form='${bar.id}']`);
    const count = bar.querySelector("[data-bulk-count]");
    const action = bar.querySelector("[data-bulk-action]");
    const update = () => {
      const selected = [...boxes()].filter((box) => box.checked).length;
      if (bar.hidden && selected > 0) bar.dispatchEvent(new Event("leadsite:bulk-shown"));
      bar.hidden = selected === 0;
      if (count) {
        count.textContent = interpolate(ngettext("%(count)s selected:", "%(count)s selected:", selected), { count: selected }, true);
      }
    };
    const showInputs = () => {
      bar.querySelectorAll("[data-bulk-for]").forEach((group) => {
        const active = group.dataset.bulkFor === action.value;
        group.hidden = !active;
        group.querySelectorAll("select, input").forEach((input) => {
          input.disabled = !active;
        });
      });
    };
    boxes().forEach((box) => box.addEventListener("change", update));
    document.addEventListener("leadsite:selection", update);
    if (action) {
      action.addEventListener("change", showInputs);
      // The assign pickers arrive when the bar first shows (htmx).
      bar.addEventListener("htmx:afterSwap", showInputs);
      showInputs();
    }
    update();
  }
  // Merge compare: identical fields stay hidden until "show all N fields".
  document.querySelectorAll("[data-toggle-rows]").forEach((button) => {
    const rows = document.querySelectorAll(button.dataset.toggleRows);
    const showLabel = button.textContent;
    button.addEventListener("click", () => {
      const show = button.getAttribute("aria-expanded") !== "true";
      rows.forEach((row) => {
        row.hidden = !show;
      });
      button.setAttribute("aria-expanded", String(show));
      button.textContent = show ? button.dataset.hideLabel : showLabel;
    });
  });
});

// A record page's add form arrives when its disclosure opens (htmx GET on the add
// URL, into .panel-body): the cursor goes to its first field.
document.addEventListener("htmx:afterSwap", (event) => {
  const body = event.detail.target;
  if (!body.classList || !body.classList.contains("panel-body")) return;
  const field = body.querySelector("input:not([type=hidden]), select, textarea");
  if (field) field.focus();
});
