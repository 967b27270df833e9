/*
 * Drafts: a long form (data-keep-draft) keeps what is typed into it in this browser,
 * so a session that ends under it (expired, or logged out in another tab) loses
 * nothing. Sending the form then lands on the login page (or, with a stale security
 * token, the "form was not sent" page); after signing in the user is back on the
 * form's page and what they typed is put back, with a notice and a button to discard
 * it. Why the browser and not the server: smsportal/signed_out.py.
 *
 * - Saved as the user types, per user, page and form; never a password, a file, a
 *   hidden field or the security token.
 * - Put back when the page opens with other values than the draft's, unless the form
 *   answers a POST and shows what was sent (data-draft-bound: errors, or prefilled).
 * - Dropped once the server has had the form from a signed-in user: sending a form
 *   marks its draft in this tab; the next page in the tab drops it when it is an
 *   ordinary signed-in page (saved, or sent back with the values and errors) and keeps
 *   it on the login page or an error page (refused token, server error).
 *
 * Privacy: drafts hold contact data, in localStorage, on what may be a shared
 * machine. Logging out removes every draft in this browser; a signed-in page removes
 * other users' drafts and any older than a week. A page left open after its session
 * ended keeps saving what it shows, which whoever sits at the machine sees anyway.
 */
(function () {
  "use strict";

  var PREFIX = "smsportal:draft:";
  var SENT = "smsportal:draft-sent"; // sessionStorage: this tab's form just sent
  var MAX_AGE_MS = 7 * 24 * 3600 * 1000;
  // Parts of a form that htmx loads again after a draft's values went in (the
  // composer's sender, whose choices follow the account) get them too, meanwhile.
  var REFILL_MS = 10000;
  var SKIPPED_TYPES = ["password", "file", "hidden", "submit", "button", "reset", "image"];
  var user = document.body.dataset.user || "";
  var quiet = false; // putting values back is not typing

  function store(kind) {
    try {
      return window[kind];
    } catch (e) {
      return null; // storage refused: forms work as before, without drafts
    }
  }

  function forms() {
    return Array.prototype.slice.call(document.querySelectorAll("form[data-keep-draft]"));
  }

  function keyFor(form) {
    var which = form.id || String(forms().indexOf(form));
    return PREFIX + user + ":" + location.pathname + location.search + "#" + which;
  }

  function kept(element) {
    if (!element.name || element.name === "csrfmiddlewaretoken") return false;
    if (element.closest("[data-no-draft]")) return false;
    if (element.tagName === "TEXTAREA" || element.tagName === "SELECT") return true;
    return element.tagName === "INPUT" && SKIPPED_TYPES.indexOf(element.type) === -1;
  }

  function fields(form) {
    return Array.prototype.filter.call(form.elements, kept);
  }

  function isChoice(element) {
    return element.type === "checkbox" || element.type === "radio";
  }

  // {name: [values]}: checked boxes and selected options by value, other fields in
  // page order.
  function read(form) {
    var values = {};
    fields(form).forEach(function (element) {
      var list = values[element.name] || (values[element.name] = []);
      if (isChoice(element)) {
        if (element.checked) list.push(element.value);
      } else if (element.tagName === "SELECT" && element.multiple) {
        Array.prototype.forEach.call(element.selectedOptions, function (option) {
          list.push(option.value);
        });
      } else {
        list.push(element.value);
      }
    });
    return values;
  }

  function hasOption(select, value) {
    return Array.prototype.some.call(select.options, function (option) {
      return option.value === value;
    });
  }

  // Sets the fields (within `part` when given) to `values`; returns those changed.
  function write(form, values, part) {
    var changed = [];
    var position = {};
    fields(form).forEach(function (element) {
      var name = element.name;
      var index = position[name] || 0;
      position[name] = index + 1;
      if (!Object.prototype.hasOwnProperty.call(values, name)) return;
      if (part && !part.contains(element)) return;
      var list = values[name];
      if (isChoice(element)) {
        var on = list.indexOf(element.value) !== -1;
        if (element.checked === on) return;
        element.checked = on;
      } else if (element.tagName === "SELECT" && element.multiple) {
        var moved = false;
        Array.prototype.forEach.call(element.options, function (option) {
          var chosen = list.indexOf(option.value) !== -1;
          moved = moved || option.selected !== chosen;
          option.selected = chosen;
        });
        if (!moved) return;
      } else {
        var value = list[index];
        if (value === undefined || element.value === value) return;
        // A choice not offered yet (it comes with the account's fields) waits.
        if (element.tagName === "SELECT" && !hasOption(element, value)) return;
        element.value = value;
      }
      changed.push(element);
    });
    return changed;
  }

  // Counters, previews and shown/hidden parts follow the values put back.
  function announce(elements) {
    elements.forEach(function (element) {
      element.dispatchEvent(new Event("input", { bubbles: true }));
      if (!element.matches(".js-submit-on-change, .js-submit-on-pick")) {
        element.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }

  function putBack(form, values, part) {
    quiet = true;
    try {
      var changed = write(form, values, part);
      announce(changed);
      return changed;
    } finally {
      quiet = false;
    }
  }

  function load(key) {
    var local = store("localStorage");
    try {
      var draft = local && JSON.parse(local.getItem(key));
      return draft && draft.values ? draft : null;
    } catch (e) {
      return null;
    }
  }

  function save(form) {
    var local = store("localStorage");
    if (!local || !user) return;
    try {
      local.setItem(keyFor(form), JSON.stringify({ savedAt: Date.now(), values: read(form) }));
    } catch (e) {
      // Storage full or refused: the form on screen still holds the text.
    }
  }

  function drop(key) {
    var local = store("localStorage");
    if (local) local.removeItem(key);
  }

  function draftKeys() {
    var local = store("localStorage");
    var keys = [];
    for (var i = 0; local && i < local.length; i++) {
      if (local.key(i).indexOf(PREFIX) === 0) keys.push(local.key(i));
    }
    return keys;
  }

  function differs(current, values) {
    return Object.keys(values).some(function (name) {
      return JSON.stringify(current[name] || []) !== JSON.stringify(values[name]);
    });
  }

  function showNotice(form, draft, before) {
    var template = document.querySelector("template[data-draft-notice-template]");
    if (!template) return;
    var notice = template.content.firstElementChild.cloneNode(true);
    var time = notice.querySelector("[data-draft-time]");
    var saved = new Date(draft.savedAt);
    time.dateTime = saved.toISOString();
    time.textContent = saved.toLocaleString(document.documentElement.lang || undefined, {
      dateStyle: "short",
      timeStyle: "short",
    });
    notice.querySelector("[data-draft-discard]").addEventListener("click", function () {
      form.draftRefill = null;
      putBack(form, before);
      drop(keyFor(form));
      notice.remove();
      var first = fields(form)[0];
      if (first) first.focus();
    });
    form.prepend(notice);
  }

  function restore(form) {
    if (form.hasAttribute("data-draft-bound")) return;
    var draft = load(keyFor(form));
    if (!draft) return;
    var before = read(form);
    if (!differs(before, draft.values)) return;
    if (!putBack(form, draft.values).length) return;
    form.draftRefill = { values: draft.values, until: Date.now() + REFILL_MS };
    showNotice(form, draft, before);
  }

  // A part of the form loaded again by htmx while a draft was going back in.
  document.addEventListener("htmx:load", function (event) {
    var part = event.detail.elt;
    var form = part.closest && part.closest("form[data-keep-draft]");
    var refill = form && form !== part && form.draftRefill;
    if (!refill || Date.now() > refill.until) return;
    if (putBack(form, refill.values, part).length) save(form);
  });

  function edited(event) {
    var form = event.target.form;
    if (!quiet && form && form.matches("[data-keep-draft]")) save(form);
  }
  document.addEventListener("input", edited);
  document.addEventListener("change", edited);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("[data-clears-drafts]")) {
      draftKeys().forEach(drop);
      return;
    }
    if (event.defaultPrevented || !form.matches("[data-keep-draft]")) return;
    save(form);
    var session = store("sessionStorage");
    if (session) {
      session.setItem(SENT, JSON.stringify({
        key: keyFor(form),
        page: location.pathname + location.search,
      }));
    }
  });

  // The page after a form was sent from this tab decides its draft's fate.
  function settleSent() {
    var session = store("sessionStorage");
    var sent = null;
    try {
      sent = session && JSON.parse(session.getItem(SENT));
    } catch (e) {
      sent = null;
    }
    if (!sent) return;
    session.removeItem(SENT);
    if (user && !document.querySelector("[data-error]")) {
      drop(sent.key);
      return;
    }
    var note = document.querySelector("[data-draft-kept]");
    if (note && load(sent.key)) {
      note.querySelector("[data-draft-return]").href = sent.page;
      note.hidden = false;
    }
  }

  // Another user's drafts, and stale ones, go (see the privacy note above).
  function sweep() {
    var mine = PREFIX + user + ":";
    draftKeys().forEach(function (key) {
      var draft = load(key);
      if (key.indexOf(mine) !== 0 || !draft || Date.now() - draft.savedAt > MAX_AGE_MS) {
        drop(key);
      }
    });
  }

  function start() {
    settleSent();
    if (!user) return;
    sweep();
    forms().forEach(restore);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
