// Provider pages. The account form offers only the chosen gateway's dialects, shows
// its default API address as the base URL placeholder and what it signs in with. (A
// form with data-confirm, removing a sender name, asks before it posts: app.js.)

document.addEventListener("DOMContentLoaded", () => {
  const kind = document.querySelector(".js-gateway-kind");
  const dialect = document.querySelector(".js-gateway-dialect");
  const baseUrl = document.querySelector(".js-gateway-base-url");
  if (!kind || !dialect) {
    return;
  }
  const gateways = JSON.parse(kind.dataset.gateways || "{}");
  const allOptions = Array.from(dialect.options).map((option) => option.cloneNode(true));

  function update() {
    const gateway = gateways[kind.value] || { dialects: [], base_url: "" };
    const current = dialect.value;
    // In the gateway's order: its first dialect is the default.
    dialect.replaceChildren(
      ...gateway.dialects
        .map((code) => allOptions.find((option) => option.value === code))
        .filter(Boolean)
        .map((option) => option.cloneNode(true)),
    );
    dialect.disabled = gateway.dialects.length === 0;
    if (gateway.dialects.includes(current)) {
      dialect.value = current;
    }
    if (baseUrl) {
      baseUrl.placeholder = gateway.base_url;
    }
    // What this gateway signs in with (a token, a login and password, or either).
    const credentials = document.querySelector(".js-gateway-credentials");
    if (credentials) {
      credentials.textContent = gateway.credentials || "";
    }
    // The signing secret only for a gateway that signs its callbacks (SMSC), and
    // never hidden while it holds something or an error.
    const secret = document.querySelector(".js-gateway-callback-secret");
    if (secret) {
      const holds = secret.querySelector("input[type=password]")?.value
        || secret.querySelector(".invalid-feedback, .is-invalid, input[type=checkbox]");
      secret.hidden = !gateway.signs_callbacks && !holds;
    }
  }

  kind.addEventListener("change", update);
  update();
});
