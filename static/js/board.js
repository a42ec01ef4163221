// The boards (leads, opportunities): a card moves by dragging (SortableJS, desktop)
// or by its "Move to" menu (keyboard, phone). Every move is one POST of the card's
// form (its version and CSRF token) to the server's state-machine service; a refused
// or stale move puts the card back where it was (or where the lead is now) and shows
// the server's message. Drop zones with data-navigate open that card's page for the
// step (qualify, win, lose); data-dialog asks for a reason first.
(() => {
  const board = document.querySelector("[data-board]");
  if (!board || board.hasAttribute("data-readonly")) return;
  const messageBox = document.querySelector("[data-board-message]");
  const phone = window.matchMedia("(max-width: 720px)");

  const say = (text, kind) => {
    if (!messageBox) return;
    messageBox.hidden = false;
    messageBox.className = `board-message message message-${kind}`;
    messageBox.textContent = text;
  };

  const listFor = (target) => board.querySelector(`[data-drop][data-target="${target}"]`);
  const columnList = (column) =>
    board.querySelector(`.board-cards[data-column="${column}"]`);
  const countOf = (list) => list && list.closest("section")?.querySelector("[data-count]");
  const bump = (list, delta) => {
    const count = countOf(list);
    if (!count || count.hasAttribute("data-capped")) return;
    count.textContent = String(Math.max(0, parseInt(count.textContent, 10) + delta));
  };
  const firstCard = (list) => list.querySelector("[data-card]");
  const placeTop = (list, card) => list.insertBefore(card, firstCard(list) || list.firstChild);
  // Where a card was: put it back there (its list and the card after it).
  const origin = (card) => ({ list: card.parentElement, next: card.nextElementSibling });
  const putBack = (card, from) => {
    const next = from.next && from.next.parentElement === from.list ? from.next : null;
    from.list.insertBefore(card, next);
  };
  const refreshMenu = (card) => {
    // A card's menu offers the moves out of the column it is in now.
    const column = card.parentElement.dataset.column;
    card.querySelectorAll("select[name=to] option[value]").forEach((option) => {
      const list = listFor(option.value);
      const accepts = list ? (list.dataset.accepts || "").split(" ") : [];
      const allowed = accepts.includes("*") || accepts.includes(column);
      option.hidden = option.value !== "" && (option.value === column || !allowed);
      option.disabled = option.value === "" || option.hidden;
    });
    const select = card.querySelector("select[name=to]");
    if (select) select.value = "";
  };

  const post = async (card, target, from, extra = {}) => {
    const form = card.querySelector("[data-move-form]");
    const data = new FormData(form);
    data.set("to", target);
    Object.entries(extra).forEach(([key, value]) => data.set(key, value));
    card.classList.add("board-pending");
    let answer;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: data,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      answer = await response.json();
    } catch (error) {
      answer = { ok: false, message: gettext("The move did not reach the server. Try again.") };
    }
    card.classList.remove("board-pending");
    const fromList = from.list;
    if (answer.version !== undefined && answer.version !== null) {
      card.dataset.version = answer.version;
      form.querySelector("input[name=version]").value = answer.version;
    }
    if (!answer.ok) putBack(card, from);
    // The card goes where the record is now: its column, or off the board once closed.
    const now = answer.column !== undefined && answer.column !== null ? columnList(answer.column) : null;
    if (now && now !== card.parentElement) placeTop(now, card);
    if (!now && (answer.ok || answer.closed)) card.remove();
    if (card.parentElement !== fromList) {
      bump(fromList, -1);
      if (card.isConnected) bump(card.parentElement, +1);
    }
    if (card.isConnected) {
      refreshMenu(card);
      card.querySelector("select[name=to]")?.focus();
    }
    say(answer.message, answer.ok ? "success" : "warning");
  };

  const dialogFor = (id) => document.getElementById(id);
  const ask = (card, target, from, dialog) => {
    const form = dialog.querySelector("[data-dialog-form]");
    form.reset();
    const name = dialog.querySelector("[data-dialog-name]");
    if (name) name.textContent = interpolate(gettext("“%(name)s”"), { name: card.dataset.name }, true);
    const finish = (confirmed) => {
      dialog.removeEventListener("close", onClose);
      if (!confirmed) {
        putBack(card, from);
        card.querySelector("select[name=to]")?.focus();
        return;
      }
      post(card, target, from, Object.fromEntries(new FormData(form)));
    };
    const onClose = () => finish(dialog.returnValue === "confirm");
    dialog.addEventListener("close", onClose);
    dialog.returnValue = "";
    dialog.showModal();
  };

  // One move, from a drop or the menu: `from` is where the card was before.
  const move = (card, target, from) => {
    const list = listFor(target);
    if (!list) return putBack(card, from);
    if (list.dataset.navigate) {
      putBack(card, from);
      window.location.assign(card.dataset[`nav${list.dataset.navigate[0].toUpperCase()}${list.dataset.navigate.slice(1)}`]);
      return;
    }
    if (list.dataset.dialog) return ask(card, target, from, dialogFor(list.dataset.dialog));
    if (card.parentElement !== list) placeTop(list, card);
    return post(card, target, from);
  };

  board.addEventListener("submit", (event) => {
    const form = event.target.closest("[data-move-form]");
    if (!form) return;
    event.preventDefault();
    const target = form.querySelector("select[name=to]").value;
    if (!target) return say(gettext("Choose where to move the card."), "info");
    const card = form.closest("[data-card]");
    move(card, target, origin(card));
  });
  document.querySelectorAll("[data-dialog-cancel]").forEach((button) => {
    button.addEventListener("click", () => button.closest("dialog").close(""));
  });
  board.querySelectorAll("[data-card]").forEach(refreshMenu);
  // Cards that "Show more" adds get their menus set too.
  board.addEventListener("htmx:afterSwap", () => board.querySelectorAll("[data-card]").forEach(refreshMenu));

  // Dragging: desktop only; on a phone the menu is the way to move a card.
  if (phone.matches || typeof window.Sortable === "undefined") return;
  board.querySelectorAll("[data-drop]").forEach((list) => {
    window.Sortable.create(list, {
      group: {
        name: "board",
        pull: true,
        put: (to, from) => {
          const accepts = (to.el.dataset.accepts || "").split(" ");
          return accepts.includes("*") ? to.el !== from.el : accepts.includes(from.el.dataset.column);
        },
      },
      sort: false,
      draggable: "[data-card]",
      filter: "select, button, option, input",
      preventOnFilter: false,
      forceFallback: true,
      fallbackOnBody: true,
      ghostClass: "board-ghost",
      chosenClass: "board-chosen",
      onAdd: (event) => {
        const from = { list: event.from, next: event.from.children[event.oldIndex] || null };
        move(event.item, list.dataset.target, from);
      },
    });
  });
})();
