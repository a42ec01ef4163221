// Routing rule form: add and remove condition rows, and show the value input the
// chosen field needs (text, a number, or a list to pick from). Field kinds and
// their operators come from the json_script block "routing-fields".
(function () {
  "use strict";
  var fields = {};

  function setup(row) {
    var fieldSelect = row.querySelector(".condition-field");
    var opSelect = row.querySelector(".condition-op");
    var textBox = row.querySelector("[data-value-text]");
    var listBox = row.querySelector("[data-value-list]");
    var textInput = row.querySelector(".condition-value");
    var list = row.querySelector(".condition-values");
    var help = row.querySelector("[data-value-help]");
    var valuesHelp = row.querySelector("[data-values-help]");
    var remove = row.querySelector(".condition-remove input[type=checkbox]");

    function refresh() {
      var spec = fields[fieldSelect.value];
      var op = opSelect.value;
      Array.prototype.forEach.call(opSelect.options, function (option) {
        option.hidden = !!spec && spec.ops.indexOf(option.value) === -1;
      });
      if (spec && spec.ops.indexOf(op) === -1) {
        opSelect.value = spec.ops[0];
        op = opSelect.value;
      }
      var picks = spec && (spec.kind === "choice" || spec.kind === "ref");
      var needsValue = op !== "empty";
      textBox.hidden = !spec || picks || !needsValue;
      listBox.hidden = !spec || !picks || !needsValue;
      if (spec && spec.kind === "number") {
        textInput.type = "number";
        textInput.step = spec.integer ? "1" : "0.01";
      } else {
        textInput.type = "text";
        textInput.removeAttribute("step");
      }
      if (spec && spec.bounds) {
        textInput.min = String(spec.bounds[0]);
        textInput.max = String(spec.bounds[1]);
      } else {
        textInput.removeAttribute("min");
        textInput.removeAttribute("max");
      }
      if (help) {
        help.hidden = !(op === "in" || op === "not_in");
      }
      list.multiple = op !== "equals";
      if (valuesHelp) {
        valuesHelp.hidden = op === "equals";
      }
      Array.prototype.forEach.call(list.querySelectorAll("optgroup"), function (group) {
        var own = false;
        Array.prototype.forEach.call(group.querySelectorAll("option"), function (option) {
          var mine = option.value.split(":")[0] === fieldSelect.value;
          option.hidden = !mine;
          if (!mine) {
            option.selected = false;
          }
          own = own || mine;
        });
        group.hidden = !own;
      });
    }

    fieldSelect.addEventListener("change", refresh);
    opSelect.addEventListener("change", refresh);
    if (remove) {
      var label = remove.closest("label");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button small danger";
      button.textContent = gettext("Remove");
      label.hidden = true;
      label.parentNode.appendChild(button);
      button.addEventListener("click", function () {
        remove.checked = true;
        row.hidden = true;
        updateEmpty();
      });
    }
    refresh();
  }

  function updateEmpty() {
    var note = document.getElementById("no-conditions");
    var shown = document.querySelectorAll("#condition-rows [data-condition-row]:not([hidden])");
    if (note) {
      note.hidden = shown.length > 0;
    }
  }

  function init() {
    var data = document.getElementById("routing-fields");
    var rows = document.getElementById("condition-rows");
    if (!data || !rows) {
      return;
    }
    fields = JSON.parse(data.textContent);
    Array.prototype.forEach.call(rows.querySelectorAll("[data-condition-row]"), setup);
    var total = document.getElementById("id_conditions-TOTAL_FORMS");
    var template = document.getElementById("condition-template");
    document.getElementById("add-condition").addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var row = holder.firstElementChild;
      rows.appendChild(row);
      total.value = String(index + 1);
      setup(row);
      updateEmpty();
      row.querySelector(".condition-field").focus();
    });
    updateEmpty();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
