// Merge page: choosing the master moves every field choice the user has not touched
// to the master's column, except where the master's value is empty (data-empty) and
// the other lead has one: a merge keeps what is known.
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
        if (touched.has(radio.name)) return;
        const empty = radio.closest("td")?.hasAttribute("data-empty");
        const other = form.querySelector(`input[type=radio][name='${radio.name}']:not([value='${master.value}'])`);
        const otherEmpty = other?.closest("td")?.hasAttribute("data-empty");
        if (!empty || otherEmpty) radio.checked = true;
        else if (other) other.checked = true;
      });
    });
  });
});
