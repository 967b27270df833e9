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

document.addEventListener("click", (event) => {
  const button = event.target.closest(".js-confirm");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
