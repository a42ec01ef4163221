// LeadSite: small progressive enhancements, no inline handlers (CSP forbids them).
document.addEventListener("DOMContentLoaded", () => {
  // "Select all" checkbox for bulk actions on list pages.
  document.querySelectorAll("[data-select-all]").forEach((box) => {
    box.addEventListener("change", () => {
      document.querySelectorAll(box.dataset.selectAll).forEach((row) => {
        row.checked = box.checked;
      });
    });
  });
  // Buttons that ask before a destructive action.
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (event) => {
      if (!window.confirm(el.dataset.confirm)) event.preventDefault();
    });
  });
});
