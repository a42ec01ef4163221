// Search-as-you-type for record selects: <select data-autocomplete-url="...">.
// Adds a search box above the select; typing loads up to 20 matching options from the
// endpoint (an HTML fragment of <option> elements) and keeps the current choice.
(() => {
  const DELAY_MS = 250;

  function enhance(select) {
    if (select.dataset.autocompleteReady) return;
    select.dataset.autocompleteReady = "1";
    const search = document.createElement("input");
    search.type = "search";
    search.className = "autocomplete-search";
    search.placeholder = "Type to search…";
    search.autocomplete = "off";
    search.setAttribute("aria-label", "Search " + (select.labels[0]?.textContent || "records"));
    select.parentNode.insertBefore(search, select);

    let timer = null;
    let controller = null;
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => load(select, search.value.trim()), DELAY_MS);
    });

    async function load(target, query) {
      if (controller) controller.abort();
      controller = new AbortController();
      const url = new URL(target.dataset.autocompleteUrl, window.location.href);
      url.searchParams.set("q", query);
      let html;
      try {
        const response = await fetch(url, {
          credentials: "same-origin",
          headers: { "HX-Request": "true" },
          signal: controller.signal,
        });
        if (!response.ok) return;
        html = await response.text();
      } catch (error) {
        return; // aborted by a newer query or offline: keep the current options
      }
      const parsed = new DOMParser().parseFromString(`<select>${html}</select>`, "text/html");
      const current = target.value;
      const keep = Array.from(target.options).filter((o) => o.value === "" || o.value === current);
      const seen = new Set(keep.map((o) => o.value));
      target.replaceChildren(...keep);
      parsed.querySelectorAll("option").forEach((option) => {
        if (!seen.has(option.value)) target.append(document.importNode(option, true));
      });
      target.value = current;
    }
  }

  function init(root) {
    root.querySelectorAll("select[data-autocomplete-url]").forEach(enhance);
  }

  document.addEventListener("DOMContentLoaded", () => init(document));
  document.addEventListener("htmx:load", (event) => init(event.target));
})();
