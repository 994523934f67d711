// Task board: add, edit, complete and delete tasks, kept in localStorage across reloads.
// Task text is only ever written with textContent, so markup in a task shows as text.
(function () {
  "use strict";

  var STORAGE_KEY = "touchline.tasks.v1";
  var MAX_LENGTH = 200;

  var board = document.querySelector("[data-task-board]");
  var notice = document.querySelector("[data-js-required]");
  if (!board) return;
  var form = board.querySelector("[data-task-form]");
  var input = board.querySelector("[data-task-input]");
  var message = board.querySelector("[data-task-message]");
  var list = board.querySelector("[data-task-list]");
  var empty = board.querySelector("[data-task-empty]");
  var count = board.querySelector("[data-task-count]");

  var storageWorks = true;
  var tasks = load();
  var editing = null; // id of the task being edited

  if (notice) notice.hidden = true;
  board.hidden = false;

  function load() {
    try {
      var raw = window.localStorage.getItem(STORAGE_KEY);
      if (!raw) return [];
      var parsed = JSON.parse(raw);
      if (!Array.isArray(parsed)) return [];
      return parsed
        .filter(function (t) {
          return t && typeof t.id === "string" && typeof t.text === "string";
        })
        .map(function (t) {
          return { id: t.id, text: t.text, done: t.done === true };
        });
    } catch (error) {
      storageWorks = false;
      return [];
    }
  }

  function save() {
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(tasks));
      return true;
    } catch (error) {
      say("Could not save: this browser does not allow local storage for this site.", true);
      return false;
    }
  }

  function newId() {
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8);
  }

  function say(text, isError) {
    message.textContent = text;
    message.classList.toggle("is-error", Boolean(isError));
    message.classList.toggle("is-ok", !isError && text !== "");
  }

  function find(id) {
    for (var i = 0; i < tasks.length; i++) if (tasks[i].id === id) return i;
    return -1;
  }

  // Returns the cleaned text, or null after showing why it was refused.
  function validate(text, field) {
    var clean = text.replace(/\s+/g, " ").trim();
    if (clean === "") {
      say("Please type the task first: an empty task cannot be saved.", true);
      field.setAttribute("aria-invalid", "true");
      field.focus();
      return null;
    }
    if (clean.length > MAX_LENGTH) clean = clean.slice(0, MAX_LENGTH);
    field.removeAttribute("aria-invalid");
    return clean;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function button(label, hiddenSuffix, className, action) {
    var b = el("button", "button " + className);
    b.type = "button";
    b.setAttribute("data-action", action);
    b.append(document.createTextNode(label));
    if (hiddenSuffix) b.append(el("span", "visually-hidden", " " + hiddenSuffix));
    return b;
  }

  function renderTask(task) {
    var item = el("li", "task" + (task.done ? " is-done" : ""));
    item.setAttribute("data-id", task.id);
    var checkboxId = "task-" + task.id;

    if (editing === task.id) {
      item.classList.add("is-editing");
      var field = el("input", "task-edit-input");
      field.type = "text";
      field.value = task.text;
      field.maxLength = MAX_LENGTH;
      field.setAttribute("aria-label", "Edit task");
      field.setAttribute("aria-describedby", "task-message");
      field.setAttribute("data-edit-input", "");
      var actions = el("div", "task-actions");
      actions.append(button("Save", "", "", "save"), button("Cancel", "", "button-secondary", "cancel"));
      item.append(field, actions);
      return item;
    }

    var checkbox = el("input");
    checkbox.type = "checkbox";
    checkbox.id = checkboxId;
    checkbox.checked = task.done;
    checkbox.setAttribute("data-action", "toggle");
    var label = el("label", "task-text", task.text);
    label.htmlFor = checkboxId;
    var buttons = el("div", "task-actions");
    buttons.append(
      button("Edit", "“" + task.text + "”", "button-secondary", "edit"),
      button("Delete", "“" + task.text + "”", "button-danger", "delete")
    );
    item.append(checkbox, label, buttons);
    return item;
  }

  function render() {
    list.textContent = "";
    tasks.forEach(function (task) {
      list.append(renderTask(task));
    });
    empty.hidden = tasks.length !== 0;
    var done = tasks.filter(function (t) {
      return t.done;
    }).length;
    count.textContent =
      tasks.length === 0 ? "" : tasks.length + (tasks.length === 1 ? " task" : " tasks") + ", " + done + " done";
  }

  function focusIn(id, selector) {
    var item = list.querySelector('[data-id="' + id + '"]');
    var target = item && item.querySelector(selector);
    if (target) target.focus();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = validate(input.value, input);
    if (text === null) return;
    tasks.push({ id: newId(), text: text, done: false });
    save();
    input.value = "";
    render();
    say("Added “" + text + "”.", false);
    input.focus();
  });

  input.addEventListener("input", function () {
    if (input.getAttribute("aria-invalid") === "true" && input.value.trim() !== "") {
      input.removeAttribute("aria-invalid");
      say("", false);
    }
  });

  function commitEdit(id, field) {
    var index = find(id);
    if (index < 0) return;
    var text = validate(field.value, field);
    if (text === null) return;
    tasks[index].text = text;
    editing = null;
    save();
    render();
    say("Saved “" + text + "”.", false);
    focusIn(id, '[data-action="edit"]');
  }

  function cancelEdit(id) {
    editing = null;
    render();
    say("", false);
    focusIn(id, '[data-action="edit"]');
  }

  list.addEventListener("click", function (event) {
    var control = event.target.closest("[data-action]");
    if (!control || control.getAttribute("data-action") === "toggle") return;
    var item = control.closest("[data-id]");
    var id = item.getAttribute("data-id");
    var index = find(id);
    if (index < 0) return;
    var action = control.getAttribute("data-action");
    if (action === "edit") {
      editing = id;
      render();
      var field = list.querySelector("[data-edit-input]");
      field.focus();
      field.setSelectionRange(field.value.length, field.value.length);
    } else if (action === "save") {
      commitEdit(id, item.querySelector("[data-edit-input]"));
    } else if (action === "cancel") {
      cancelEdit(id);
    } else if (action === "delete") {
      var removed = tasks.splice(index, 1)[0];
      if (editing === id) editing = null;
      save();
      render();
      say("Deleted “" + removed.text + "”.", false);
      // Keep focus on the board: the next task, else the previous one, else the new-task field.
      var next = tasks[index] || tasks[index - 1];
      if (next) focusIn(next.id, '[data-action="toggle"]');
      else input.focus();
    }
  });

  list.addEventListener("change", function (event) {
    var checkbox = event.target;
    if (checkbox.getAttribute("data-action") !== "toggle") return;
    var id = checkbox.closest("[data-id]").getAttribute("data-id");
    var index = find(id);
    if (index < 0) return;
    tasks[index].done = checkbox.checked;
    save();
    render();
    say((checkbox.checked ? "Completed “" : "Marked as not done: “") + tasks[index].text + "”.", false);
    focusIn(id, '[data-action="toggle"]');
  });

  list.addEventListener("keydown", function (event) {
    var field = event.target;
    if (!field.hasAttribute || !field.hasAttribute("data-edit-input")) return;
    var id = field.closest("[data-id]").getAttribute("data-id");
    if (event.key === "Enter") {
      event.preventDefault();
      commitEdit(id, field);
    } else if (event.key === "Escape") {
      event.preventDefault();
      cancelEdit(id);
    }
  });

  render();
  if (!storageWorks) say("This browser does not allow local storage here: tasks will not be kept.", true);
})();
