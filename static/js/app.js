// Behaviour shared by every page; no inline scripts so a strict CSP can be used.
document.addEventListener("change", (event) => {
  if (event.target.matches(".js-submit-on-change")) {
    event.target.form.submit();
  }
});

// A select that applies itself when picked with the pointer: arrow keys on a closed
// select change it too, and must not leave the page at the first press (the form's
// button applies a keyboard choice).
document.addEventListener("pointerdown", (event) => {
  if (event.target.matches && event.target.matches(".js-submit-on-pick")) {
    event.target.dataset.picking = "true";
  }
});
document.addEventListener("keydown", (event) => {
  if (event.target.matches && event.target.matches(".js-submit-on-pick")) {
    delete event.target.dataset.picking;
  }
});
document.addEventListener("change", (event) => {
  if (event.target.matches(".js-submit-on-pick") && event.target.dataset.picking) {
    event.target.form.submit();
  }
});

// One submit per page for forms that act (data-submit-once): a double click sent a
// second request before the first page came back, which made a second copy or draft,
// or answered a launch or a cancel that had worked with "already ...". Checked before
// anything else (no second confirm() to answer); marked after data-confirm's answer.
let submittedOnce = false;
document.addEventListener(
  "submit",
  (event) => {
    if (submittedOnce && event.target.matches("form[data-submit-once]")) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true,
);
// A page brought back by the browser's back button may submit again.
window.addEventListener("pageshow", () => {
  submittedOnce = false;
});

// A form with data-confirm (revoking a token, deleting, cancelling) asks first.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
document.addEventListener("submit", (event) => {
  if (!event.defaultPrevented && event.target.matches("form[data-submit-once]")) {
    submittedOnce = true;
  }
});

// Copy buttons (_partials/copy_button.html) copy the text of the element named by
// data-copy-from. They are hidden in the HTML: shown here, where a script runs.
function showCopyButtons(root) {
  root.querySelectorAll(".js-copy").forEach((button) => {
    button.hidden = false;
  });
}

function selectText(source) {
  if (typeof source.select === "function") {
    source.select();
    return;
  }
  const range = document.createRange();
  range.selectNodeContents(source);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

async function copyText(source) {
  const text = ("value" in source ? source.value : source.textContent).trim();
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Refused (no permission): the older way below.
    }
  }
  // Plain http on a company network has no clipboard API.
  selectText(source);
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}

function sayOnButton(button, text) {
  const label = button.querySelector(".js-copy-label");
  if (!label.dataset.label) {
    label.dataset.label = label.textContent;
  }
  label.textContent = text;
  clearTimeout(button.copyTimer);
  button.copyTimer = setTimeout(() => {
    label.textContent = label.dataset.label;
  }, 2000);
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest(".js-copy");
  const source = button && document.getElementById(button.dataset.copyFrom);
  if (!source) {
    return;
  }
  const copied = await copyText(source);
  if (!copied) {
    selectText(source); // left selected for Ctrl+C
  }
  sayOnButton(button, copied ? button.dataset.copied : button.dataset.copyFailed);
});

showCopyButtons(document);
document.addEventListener("htmx:load", (event) => showCopyButtons(event.detail.elt));

// Polled regions are swapped whole. htmx gives focus back to the new copy of the
// focused control when it has an id; sort and page links have none, so they are
// found again by their href (else focus would fall to the top of the page).
let focusedLink = null;
document.addEventListener("htmx:beforeSwap", (event) => {
  const active = document.activeElement;
  const inside = active && event.detail.target.contains(active);
  focusedLink = inside && !active.id && active.matches("a[href]")
    ? active.getAttribute("href")
    : null;
});
document.addEventListener("htmx:afterSwap", () => {
  const href = focusedLink;
  focusedLink = null;
  if (!href || (document.activeElement && document.activeElement !== document.body)) {
    return;
  }
  const again = [...document.querySelectorAll("a[href]")].find(
    (link) => link.getAttribute("href") === href,
  );
  if (again) {
    again.focus({ preventScroll: true });
  }
});

// Polled blocks are replaced whole, and a replaced live region is not read out. Each
// block's short summary ([data-announce="<id>"]) is copied into the lasting live region
// <id> (_partials/live_status.html) when it has changed since the page was opened. A
// summary with data-announce-step is read when that step changes (a percent's tens),
// not at every refresh, and then says the exact figures the page shows.
const lastSaid = new Map();
// Once said, a line is taken out of its live region: left there, browse mode read
// it again beside the figures it repeats.
const SAID_FOR_MS = 7000;
const clearing = new Map();

function say(region, text) {
  region.textContent = text;
  clearTimeout(clearing.get(region));
  clearing.set(region, setTimeout(() => { region.textContent = ""; }, SAID_FOR_MS));
}

function summaries(root) {
  const found = [...root.querySelectorAll("[data-announce]")];
  return root.matches && root.matches("[data-announce]") ? [root, ...found] : found;
}

function summaryKey(line) {
  const block = line.parentElement && line.parentElement.closest("[id]");
  return `${line.dataset.announce}|${block ? block.id : ""}`;
}

function summaryText(line) {
  return line.textContent.replace(/\s+/g, " ").trim();
}

function summaryStep(line) {
  return line.dataset.announceStep ?? summaryText(line);
}

summaries(document).forEach((line) => lastSaid.set(summaryKey(line), summaryStep(line)));

document.addEventListener("htmx:load", (event) => {
  summaries(event.detail.elt).forEach((line) => {
    const key = summaryKey(line);
    const step = summaryStep(line);
    const region = document.getElementById(line.dataset.announce);
    if (region && lastSaid.get(key) !== step) {
      say(region, summaryText(line));
    }
    lastSaid.set(key, step);
  });
});

// A region that failed to load (a 500, no answer) says so, instead of its
// placeholder ("Counting the audience…") staying for ever. A 401 is not a failure
// of the region: the session has ended (below).
function sayLoadFailed(event) {
  const target = event.detail.target;
  const text = target && target.dataset.failText;
  if (!text || (event.detail.xhr && event.detail.xhr.status === 401)) {
    return;
  }
  const alert = document.createElement("div");
  alert.className = "alert alert-warning";
  alert.setAttribute("role", "alert");
  alert.dataset.loadFailed = "";
  alert.textContent = text;
  target.replaceChildren(alert);
}
document.addEventListener("htmx:responseError", sayLoadFailed);
document.addEventListener("htmx:sendError", sayLoadFailed);

// The composer's preview says it is being recounted.
document.addEventListener("htmx:beforeRequest", (event) => {
  if (event.detail.target.matches("[data-busy-while-loading]")) {
    event.detail.target.setAttribute("aria-busy", "true");
  }
});
document.addEventListener("htmx:afterRequest", (event) => {
  if (event.detail.target) {
    event.detail.target.removeAttribute("aria-busy");
  }
});

// A form sent back with errors: its summary (_partials/error_summary.html) takes focus,
// and each of its links takes the user into the field it names.
const errorSummary = document.querySelector("[data-error-summary]");
if (errorSummary) {
  errorSummary.focus();
}
document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-error-summary] a[href^='#']");
  const field = link && document.getElementById(link.getAttribute("href").slice(1));
  if (field) {
    event.preventDefault();
    field.scrollIntoView({ block: "center" });
    field.focus();
  }
});

// The session ended under the page (expired, or logged out in another tab): an htmx
// request gets a bare 401 (smsportal/signed_out.py), never the login page to draw
// inside a fragment. One banner says so; polled regions stop asking (their requests
// are dropped) and keep what they showed. A later request that succeeds (signed in
// again in another tab) takes the banner away and polling resumes.
let sessionEnded = false;

function isPolled(element) {
  return /(^|,)\s*every\s/.test(element.getAttribute("hx-trigger") || "");
}

function sessionEndedBanner(show) {
  const banner = document.querySelector("[data-session-ended-alert]");
  if (!show) {
    if (banner) {
      banner.remove();
    }
    return;
  }
  const template = document.querySelector("template[data-session-ended-template]");
  if (!banner && template) {
    document.body.appendChild(template.content.cloneNode(true));
  }
}

document.addEventListener("htmx:beforeRequest", (event) => {
  if (sessionEnded && isPolled(event.detail.elt)) {
    event.preventDefault();
  }
});
// Answered here, so neither swapped nor reported as an error by htmx.
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 401) {
    event.detail.shouldSwap = false;
    event.detail.isError = false;
  }
});
document.addEventListener("htmx:afterRequest", (event) => {
  const status = event.detail.xhr ? event.detail.xhr.status : 0;
  if (status === 401 && !sessionEnded) {
    sessionEnded = true;
    sessionEndedBanner(true);
  } else if (sessionEnded && status >= 200 && status < 300) {
    sessionEnded = false;
    sessionEndedBanner(false);
  }
});

// Django gives a new CSRF token at every sign-in, so a page still open from before
// sends a stale one after the user signs in again in another tab, and its form
// would be refused. The cookie always holds the current token (Django accepts it
// unmasked): forms and htmx requests send that one.
// "csrftoken" is Django's default cookie name, which settings.py keeps.
function currentCsrfToken() {
  const found = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return found ? decodeURIComponent(found[1]) : null;
}

document.addEventListener("htmx:configRequest", (event) => {
  const token = currentCsrfToken();
  if (token) {
    event.detail.headers["X-CSRFToken"] = token;
    // Django reads a posted csrfmiddlewaretoken before the header: a form's stale
    // one (hx-post on a form sends its fields) would win.
    if (event.detail.parameters.has("csrfmiddlewaretoken")) {
      event.detail.parameters.set("csrfmiddlewaretoken", token);
    }
  }
});
document.addEventListener("submit", (event) => {
  const field = event.target.querySelector("input[name=csrfmiddlewaretoken]");
  const token = currentCsrfToken();
  if (field && token) {
    field.value = token;
  }
});
