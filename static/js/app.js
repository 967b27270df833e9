// Behaviour shared by every page; no inline scripts so a strict CSP can be used.
document.addEventListener("change", (event) => {
  if (event.target.matches(".js-submit-on-change")) {
    event.target.form.submit();
  }
});
