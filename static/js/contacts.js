// Contact book pages: select-all checkbox, group picker for bulk actions, confirmations.
document.addEventListener("change", (event) => {
  if (event.target.matches(".js-select-all")) {
    document.querySelectorAll(".js-select-row").forEach((box) => {
      box.checked = event.target.checked;
    });
  }
  if (event.target.matches(".js-bulk-action")) {
    const needsGroup = ["add_to_group", "remove_from_group"].includes(event.target.value);
    document.querySelectorAll(".js-bulk-group").forEach((el) => {
      el.hidden = !needsGroup;
    });
  }
});

// A bulk action with nothing chosen goes straight to the server, which says what is
// missing: asking "Apply this action to the selected contacts?" first would mislead.
function bulkIsIncomplete(button) {
  const form = button.form;
  if (!form || form.id !== "bulk-form") return false;
  const action = form.querySelector('[name="action"]');
  const everyMatching = form.querySelector('[name="select_all"]');
  const picked = document.querySelectorAll(".js-select-row:checked").length > 0;
  return !(action && action.value) || !(picked || (everyMatching && everyMatching.checked));
}

// The chosen action's own question, naming how many contacts it takes: the ticked
// rows, or (rendered by the server, contacts/bulk_confirm.py) every one matching.
function bulkQuestion(button) {
  const form = button.form;
  if (!form || form.id !== "bulk-form") return button.dataset.confirm;
  const option = form.querySelector('[name="action"]').selectedOptions[0];
  if (form.querySelector('[name="select_all"]').checked) {
    return option.dataset.confirmMatching;
  }
  const ticked = document.querySelectorAll(".js-select-row:checked").length;
  return option.dataset.confirmSelected.replace("__COUNT__", String(ticked));
}

document.addEventListener("click", (event) => {
  const button = event.target.closest(".js-confirm");
  if (!button || bulkIsIncomplete(button)) return;
  if (!window.confirm(bulkQuestion(button))) {
    event.preventDefault();
  }
});

// One submit per bulk action: a double click sent it twice (the server also refuses
// a second background run of the same action, contacts/bulk_jobs.py).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.id !== "bulk-form" || event.defaultPrevented) return;
  if (form.dataset.sent) {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
});

// A page brought back by the browser's back button may submit again.
window.addEventListener("pageshow", () => {
  const form = document.getElementById("bulk-form");
  if (form) delete form.dataset.sent;
});
