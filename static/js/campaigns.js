/*
 * Campaign pages: placeholder buttons, fields shown per channel, start mode and
 * audience, the live counter following the chosen account and the previewed
 * audience (forms' data-confirm questions are asked by app.js). Delegated from the document
 * so parts swapped in by htmx keep working; no inline scripts (strict CSP).
 */
(function () {
  "use strict";
  // The message text's counter; the Viber text's own counts characters only.
  var TEXT_COUNTER = "[data-segment-counter]:not([data-characters-only])";

  // A text the user has not put the cursor in yet (a saved draft, a greeting opened
  // to be changed) reports its caret at 0, focused by a script or not: a button
  // then put the placeholder in front of the first word. Until a click, a key or
  // an edit has placed the caret, it goes at the end.
  ["mouseup", "touchend", "keyup", "input", "select"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (event.target.matches && event.target.matches("textarea")) {
        event.target.dataset.caretPlaced = "";
      }
    });
  });

  function insertAtCursor(textarea, value) {
    var placed = "caretPlaced" in textarea.dataset;
    var start = placed ? textarea.selectionStart : textarea.value.length;
    var end = placed ? textarea.selectionEnd : textarea.value.length;
    textarea.value = textarea.value.slice(0, start) + value + textarea.value.slice(end);
    var caret = start + value.length;
    textarea.focus();
    textarea.setSelectionRange(caret, caret);
    // The segment counter recounts on "input".
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function showForChannel(root) {
    var select = root.querySelector(".js-campaign-channel");
    if (!select) return;
    root.querySelectorAll("[data-channels]").forEach(function (el) {
      el.hidden = el.dataset.channels.split(" ").indexOf(select.value) === -1;
    });
  }

  function showStartAt(root) {
    var chosen = root.querySelector('input[name="start_mode"]:checked');
    root.querySelectorAll("[data-start-at]").forEach(function (el) {
      el.hidden = !chosen || chosen.value !== "at";
    });
  }

  // The whole book makes the groups to send to moot; the server ignores them too.
  function showIncludeGroups(root) {
    var whole = root.querySelector('input[name="to_whole_book"]');
    root.querySelectorAll("[data-include-groups]").forEach(function (el) {
      el.hidden = !!(whole && whole.checked);
    });
  }

  function accountInfo(form) {
    var account = form.querySelector('select[name="account"]');
    return account && JSON.parse(form.dataset.accountInfo || "{}")[account.value];
  }

  function followAccount(form) {
    var counter = document.querySelector(TEXT_COUNTER);
    var info = accountInfo(form);
    if (!info || !counter) return;
    counter.dataset.table = info.table;
    followPrice(form);
    offerSenders(form, info.senders || []);
  }

  // The counter prices SMS parts: a channel not billed per part (Viber, voice; the
  // select lists those that are) shows no cost, as the server's preview shows none.
  function followPrice(form) {
    var counter = document.querySelector(TEXT_COUNTER);
    var info = accountInfo(form);
    if (!info || !counter) return;
    var channel = form.querySelector(".js-campaign-channel");
    var perSegment = !channel ||
      (channel.dataset.perSegment || "").split(" ").indexOf(channel.value) !== -1;
    if (info.price && perSegment) {
      counter.dataset.pricePerSegment = info.price;
    } else {
      delete counter.dataset.pricePerSegment;
    }
  }

  // Voice and Viber are not SMS: the counter then counts characters, and the
  // transliterate option is neither offered nor sent (a disabled box is not posted).
  // The select lists, per account, the channels each applies to.
  function followChannel(form) {
    var counter = document.querySelector(TEXT_COUNTER);
    var channel = form.querySelector(".js-campaign-channel");
    if (!channel) return;
    function listed(name) {
      return (channel.dataset[name] || "").split(" ").indexOf(channel.value) !== -1;
    }
    var translit = listed("translit");
    if (counter) {
      counter.dataset.sms = String(listed("sms"));
      counter.dataset.translit = String(translit);
    }
    form.querySelectorAll("[data-translit-field]").forEach(function (el) {
      el.hidden = !translit;
      el.querySelectorAll("input").forEach(function (input) {
        input.disabled = !translit;
      });
    });
  }

  // A sender select that lists the chosen account's names (the contact page's; the
  // composer's comes from the server with the account's other fields).
  function offerSenders(form, names) {
    var select = form.querySelector("select[data-senders-follow-account]");
    if (!select) return;
    var chosen = select.value;
    select.replaceChildren.apply(
      select,
      names.map(function (name) {
        var option = document.createElement("option");
        option.value = option.textContent = name;
        option.selected = name === chosen;
        return option;
      })
    );
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-insert-placeholder]");
    if (!button) return;
    var textarea = document.getElementById(button.dataset.target);
    if (textarea) insertAtCursor(textarea, "{" + button.dataset.insertPlaceholder + "}");
  });

  // A saved template replaces the text (after asking, when there is text to lose).
  function insertTemplate(select) {
    var option = select.selectedOptions[0];
    var textarea = document.getElementById(select.dataset.target);
    select.value = "";
    if (!option || !option.value || !textarea) return;
    var text = option.dataset.text || "";
    if (textarea.value.trim() && textarea.value !== text &&
        !window.confirm(select.dataset.confirmReplace)) return;
    textarea.value = text;
    textarea.focus();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // "Save as a template" opens the template form, in a new tab, with the text typed
  // so far: posted, since a long Cyrillic text overflows a URL.
  document.addEventListener("click", function (event) {
    var link = event.target.closest(".js-save-template");
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (!link || !token) return;
    event.preventDefault();
    var textarea = document.getElementById(link.dataset.source);
    var form = document.createElement("form");
    form.method = "post";
    form.action = link.getAttribute("href");
    form.target = "_blank";
    [["csrfmiddlewaretoken", token.value], ["prefill", "1"],
     ["text", textarea ? textarea.value : ""]].forEach(function (pair) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = pair[0];
      input.value = pair[1];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    // requestSubmit, not submit(): it fires the submit event, where app.js puts the
    // current CSRF token in (the page's is stale after a sign-in in another tab).
    form.requestSubmit();
    form.remove();
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches(".js-insert-template")) insertTemplate(event.target);
    var form = event.target.closest(".js-campaign-form");
    if (!form) return;
    if (event.target.matches(".js-campaign-channel")) {
      showForChannel(form);
      followPrice(form);
      followChannel(form);
    }
    if (event.target.name === "start_mode") showStartAt(form);
    // The note says which of two repeated times the saved start is: of another
    // time or zone it would say wrong (the page after saving says anew).
    if (event.target.name === "start_local" || event.target.name === "time_zone") {
      form.querySelectorAll("[data-start-note]").forEach(function (el) {
        el.hidden = true;
      });
    }
    if (event.target.name === "to_whole_book") showIncludeGroups(form);
    if (event.target.name === "account") followAccount(form);
  });

  // The counter's estimate is for the audience the preview counted: none chosen yet
  // (or all left out) is 0 recipients, not 1.
  function syncRecipients() {
    var preview = document.querySelector("[data-preview-total]");
    var counter = document.querySelector(TEXT_COUNTER);
    if (preview && counter) counter.dataset.recipients = preview.dataset.previewTotal;
  }

  // After htmx swaps: the channel select may be new, the preview knows the audience.
  document.addEventListener("htmx:afterSwap", function () {
    var form = document.querySelector(".js-campaign-form");
    if (form) {
      showForChannel(form);
      followPrice(form);
      followChannel(form);
    }
    syncRecipients();
  });

  // A reply is read once its page is shown to the person: not while prerendered
  // (speculation rules run scripts too) nor in a tab opened in the background.
  // The GET that opened it changed nothing (prefetchers and link previews open
  // pages as well); this POST, asked once, does.
  function readWhenSeen() {
    var forms = document.querySelectorAll("[data-read-when-seen]");
    if (!forms.length || !window.htmx) return;
    if (document.prerendering) {
      document.addEventListener("prerenderingchange", readWhenSeen, { once: true });
      return;
    }
    if (document.visibilityState !== "visible") {
      document.addEventListener("visibilitychange", readWhenSeen, { once: true });
      return;
    }
    forms.forEach(function (form) {
      form.removeAttribute("data-read-when-seen");
      window.htmx.trigger(form, "reply-seen");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    readWhenSeen();
    var form = document.querySelector(".js-campaign-form");
    if (!form) return;
    showForChannel(form);
    followChannel(form);
    showStartAt(form);
    showIncludeGroups(form);
    followAccount(form);
    syncRecipients();
  });
})();
