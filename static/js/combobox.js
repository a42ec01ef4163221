// One record picker for every form: <select data-combobox> (accounts.forms.Combobox)
// becomes an ARIA 1.2 combobox (an editable input with a listbox popup).
// - Keyboard: type to search, ArrowDown/ArrowUp to move, Enter to choose, Escape to
//   close (a second Escape restores the current choice), Home/End in the list.
// - Screen readers: role=combobox + aria-expanded + aria-activedescendant on the input,
//   role=listbox/option on the results, a polite live region with the result count.
// - Results: the select's own options (matches first, as the server grouped them)
//   until the user types; then the endpoint in data-autocomplete-url (an HTML fragment
//   of <option> elements, scoped to what the user may see) or, without one, the
//   options filtered here. The hidden <select> keeps the value, so the form posts as
//   before and works without JavaScript.
(() => {
  const DELAY_MS = 200;
  let uid = 0;

  function optionData(option, group) {
    return { value: option.value, label: option.textContent.trim(), group };
  }

  function selectOptions(select) {
    const items = [];
    [...select.children].forEach((child) => {
      if (child.tagName === "OPTGROUP") {
        [...child.children].forEach((option) => items.push(optionData(option, child.label)));
      } else if (child.tagName === "OPTION") {
        items.push(optionData(child, ""));
      }
    });
    return items;
  }

  function enhance(select) {
    if (select.dataset.comboboxReady) return;
    select.dataset.comboboxReady = "1";
    uid += 1;
    const id = select.id || `combobox-${uid}`;
    const listId = `${id}-listbox`;
    const label = select.labels && select.labels[0];
    const initial = selectOptions(select);
    const emptyOption = initial.find((item) => item.value === "");
    const url = select.dataset.autocompleteUrl || "";

    const wrap = document.createElement("div");
    wrap.className = "combobox";
    const input = document.createElement("input");
    input.type = "text";
    input.className = "combobox-input";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.autocomplete = "off";
    input.spellcheck = false;
    input.placeholder = select.dataset.placeholder || (emptyOption ? emptyOption.label : gettext("Type to search…"));
    if (select.required) input.setAttribute("aria-required", "true");
    if (select.getAttribute("aria-invalid")) input.setAttribute("aria-invalid", select.getAttribute("aria-invalid"));
    const describedBy = select.getAttribute("aria-describedby");
    if (describedBy) input.setAttribute("aria-describedby", describedBy);
    const list = document.createElement("ul");
    list.id = listId;
    list.className = "combobox-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    if (label) list.setAttribute("aria-label", label.textContent.trim());
    const status = document.createElement("div");
    status.className = "combobox-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");

    // The label names the input: it takes the select's id.
    select.id = `${id}-select`;
    input.id = id;
    if (label) label.htmlFor = id;
    select.hidden = true;
    select.tabIndex = -1;
    select.setAttribute("aria-hidden", "true");
    select.parentNode.insertBefore(wrap, select);
    wrap.append(input, list, status, select);

    let items = [];
    let active = -1;
    let timer = null;
    let controller = null;

    const currentLabel = () => {
      const option = select.selectedOptions[0];
      return option && option.value !== "" ? option.textContent.trim() : "";
    };
    input.value = currentLabel();

    function render(results, message) {
      items = results;
      active = -1;
      list.replaceChildren();
      let group = null;
      results.forEach((item, index) => {
        if (item.group && item.group !== group) {
          group = item.group;
          const header = document.createElement("li");
          header.className = "group";
          header.setAttribute("role", "presentation");
          header.textContent = group;
          list.append(header);
        }
        const li = document.createElement("li");
        li.id = `${id}-option-${index}`;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.index = String(index);
        li.textContent = item.value === "" ? `${item.label}` : item.label;
        if (item.value === select.value && item.value !== "") li.classList.add("current");
        list.append(li);
      });
      if (!results.length) {
        const li = document.createElement("li");
        li.className = "empty";
        li.setAttribute("role", "presentation");
        li.textContent = message || gettext("No matches");
        list.append(li);
      }
      const count = results.filter((item) => item.value !== "").length;
      status.textContent = results.length
        ? interpolate(ngettext("%(count)s result", "%(count)s results", count), { count }, true)
        : message || gettext("No matches");
      open();
    }

    function open() {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      const options = list.querySelectorAll("[role=option]");
      if (!options.length) return;
      active = (index + options.length) % options.length;
      options.forEach((li, i) => li.setAttribute("aria-selected", String(i === active)));
      const li = options[active];
      input.setAttribute("aria-activedescendant", li.id);
      li.scrollIntoView({ block: "nearest" });
    }

    function choose(index) {
      const item = items[index];
      if (!item) return;
      let option = [...select.options].find((o) => o.value === item.value);
      if (!option) {
        option = new Option(item.label, item.value);
        select.append(option);
      }
      select.value = item.value;
      input.value = item.value === "" ? "" : item.label;
      close();
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }

    async function search(query) {
      if (!query) {
        render(initial);
        return;
      }
      if (!url) {
        const words = query.toLowerCase().split(/\s+/);
        render(initial.filter((item) => item.value !== "" && words.every((w) => item.label.toLowerCase().includes(w))));
        return;
      }
      if (controller) controller.abort();
      controller = new AbortController();
      const target = new URL(url, window.location.href);
      target.searchParams.set("q", query);
      try {
        const response = await fetch(target, {
          credentials: "same-origin",
          headers: { "HX-Request": "true" },
          signal: controller.signal,
        });
        if (!response.ok) {
          render([], gettext("Search failed; try again"));
          return;
        }
        const parsed = new DOMParser().parseFromString(`<select>${await response.text()}</select>`, "text/html");
        render([...parsed.querySelectorAll("option")].map((option) => optionData(option, "")));
      } catch (error) {
        if (error.name !== "AbortError") render([], gettext("Search failed; try again"));
      }
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      const query = input.value.trim();
      timer = setTimeout(() => search(query), query ? DELAY_MS : 0);
    });
    input.addEventListener("focus", () => {
      if (!input.value) render(initial);
    });
    input.addEventListener("click", () => {
      if (list.hidden) render(input.value && input.value !== currentLabel() ? items : initial);
    });
    input.addEventListener("keydown", (event) => {
      switch (event.key) {
        case "ArrowDown":
          event.preventDefault();
          if (list.hidden) render(input.value && input.value !== currentLabel() ? items : initial);
          highlight(active + 1);
          break;
        case "ArrowUp":
          event.preventDefault();
          if (list.hidden) render(initial);
          highlight(active - 1);
          break;
        case "Home":
        case "End":
          if (!list.hidden && active >= 0) {
            event.preventDefault();
            highlight(event.key === "Home" ? 0 : -1);
          }
          break;
        case "Enter":
          if (!list.hidden && active >= 0) {
            event.preventDefault();
            choose(active);
          } else if (!list.hidden) {
            event.preventDefault();
          }
          break;
        case "Escape":
          if (!list.hidden) {
            event.preventDefault();
            close();
          } else {
            input.value = currentLabel();
          }
          break;
        case "Tab":
          close();
          break;
        default:
      }
    });
    list.addEventListener("mousedown", (event) => event.preventDefault());
    list.addEventListener("click", (event) => {
      const li = event.target.closest("[role=option]");
      if (li) choose(Number(li.dataset.index));
    });
    input.addEventListener("blur", () => {
      close();
      if (!input.value.trim()) {
        if (select.value !== "") {
          select.value = "";
          select.dispatchEvent(new Event("change", { bubbles: true }));
        }
      } else {
        input.value = currentLabel();
      }
    });
  }

  function init(root) {
    root.querySelectorAll("select[data-combobox]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => init(document));
  } else {
    init(document);
  }
  document.addEventListener("htmx:load", (event) => init(event.target));
})();
