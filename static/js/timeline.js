// Merge page: choosing the master moves every field choice the user has not touched
// to the master's column, so "keep the master's values" is one click.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.merge-form");
  if (!form) return;
  const touched = new Set();
  form.querySelectorAll("input[type=radio][name^='pick_']").forEach((radio) => {
    radio.addEventListener("change", () => touched.add(radio.name));
  });
  form.querySelectorAll("input[type=radio][name='master']").forEach((master) => {
    master.addEventListener("change", () => {
      form.querySelectorAll(`input[type=radio][name^='pick_'][value='${master.value}']`).forEach((radio) => {
        if (!touched.has(radio.name)) radio.checked = true;
      });
    });
  });
});
