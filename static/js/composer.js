/*
 * Binds templates/campaigns/_segment_counter.html to its textarea (needs segments.js).
 *
 * Everything is read from data attributes at each update, and input and clicks are
 * delegated from the document, so counters and textareas swapped in by htmx keep
 * working and a page can change data-table / data-recipients / data-price-per-segment
 * at any time. All visible words come from the template (gettext); this file only
 * writes numbers and toggles `hidden`.
 */
(function () {
  "use strict";

  var COUNTER = "[data-segment-counter]";
  var WATCHED = [
    "data-table", "data-recipients", "data-price-per-segment", "data-currency",
    "data-sms", "data-translit", "data-max-characters",
  ];
  var PLACEHOLDER = /\{[^{}]+\}/;
  // Invisible or blank characters are shown by code point, or the user sees nothing.
  var INVISIBLE = /[\s\p{C}]/u;

  function codePoint(ch) {
    return "U+" + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
  }

  function locale() {
    return document.documentElement.lang || undefined;
  }

  function setField(root, name, value) {
    root.querySelectorAll('[data-sc-field="' + name + '"]').forEach(function (el) {
      el.textContent = value;
    });
  }

  function show(root, name, visible) {
    root.querySelectorAll('[data-sc-show="' + name + '"]').forEach(function (el) {
      el.hidden = !visible;
    });
  }

  function tableFor(root) {
    var tables = window.SmsSegments.tables;
    var name = root.dataset.table || "standard";
    // An unknown name must not break the page: count by the standard rules.
    return Object.prototype.hasOwnProperty.call(tables, name) ? tables[name] : tables.standard;
  }

  function formatMoney(amount, currency) {
    // As the server writes money beside it (floatformat:"2g" and the currency's
    // sign, data-currency): "1 234,00 ₽" in Russian, in the counter as in the
    // preview next to it.
    var money = { minimumFractionDigits: 2, maximumFractionDigits: 2 };
    return new Intl.NumberFormat(locale(), money).format(amount) + " " + currency;
  }

  // Cyrillic letters are said once, as a group: a Russian text listed every one of
  // them, burying what the user can change (typographic quotes, no-break spaces).
  var CYRILLIC = /\p{Script=Cyrillic}/u;

  function renderNonGsm(root, chars) {
    root.querySelectorAll('[data-sc-field="non-gsm"]').forEach(function (el) {
      var cyrillic = chars.filter(function (ch) { return CYRILLIC.test(ch); });
      var others = chars.filter(function (ch) { return !CYRILLIC.test(ch); });
      var marks = others.map(function (ch) {
        var mark = document.createElement("mark");
        mark.className = "px-1 me-1";
        mark.textContent = INVISIBLE.test(ch) ? codePoint(ch) : ch;
        mark.title = codePoint(ch);
        return mark;
      });
      if (cyrillic.length) {
        var group = document.createElement("mark");
        group.className = "px-1 me-1";
        group.textContent = el.dataset.cyrillicLabel || cyrillic.join("");
        group.title = cyrillic.join(" ");
        marks.unshift(group);
      }
      el.replaceChildren.apply(el, marks);
    });
  }

  function renderCost(root, info, templated) {
    var price = parseFloat(root.dataset.pricePerSegment);
    // Empty until the page has counted its audience: one message's cost till then,
    // not a guess of one recipient.
    var pending = root.dataset.recipients === "";
    var recipients = pending ? 1 : parseInt(root.dataset.recipients || "1", 10);
    var known = !templated && Number.isFinite(price) && Number.isFinite(recipients);
    show(root, "cost", known && !pending);
    show(root, "cost-per-message", known && pending);
    if (!known) return;
    var currency = root.dataset.currency || "RUB";
    if (pending) {
      setField(root, "cost-per-message",
        formatMoney(window.SmsSegments.estimateCost(info.segments, 1, price), currency));
      return;
    }
    var cost = window.SmsSegments.estimateCost(info.segments, recipients, price);
    setField(root, "cost", formatMoney(cost, currency));
    setField(root, "recipients", new Intl.NumberFormat(locale()).format(recipients));
    setField(root, "price", formatMoney(price, currency));
  }

  function update(root) {
    var textarea = document.getElementById(root.dataset.textareaId);
    if (!textarea || !window.SmsSegments) return;
    var table = tableFor(root);
    // Counted as sent: the form strips both ends (a trailing line break or space is
    // never sent), and "{{" and "}}" go out as one brace each (campaigns.templating).
    var text = window.SmsSegments.strip(textarea.value);
    text = text.replace(/\{\{|\}\}/g, function (pair) {
      return pair[0];
    });
    // Voice and Viber go as written, not as SMS parts: their length is all that
    // matters, and transliteration neither applies nor is offered.
    var sms = root.dataset.sms !== "false";
    var translitAllowed = sms && root.dataset.translit !== "false";
    root.querySelectorAll("[data-sc-sms]").forEach(function (el) {
      el.hidden = !sms;
    });
    show(root, "characters", !sms);
    setField(root, "characters", new Intl.NumberFormat(locale()).format(Array.from(text).length));
    // With the form's "transliterate" ticked the server sends the Latin text.
    var box = translitBox(root);
    var translitOn = Boolean(translitAllowed && box && box.checked);
    if (translitOn) text = window.SmsSegments.transliterate(text);
    show(root, "translit-on", translitOn);
    var info = window.SmsSegments.count(text, table);
    var number = new Intl.NumberFormat(locale());
    setField(root, "units", number.format(info.units));
    setField(root, "segments", number.format(info.segments));
    setField(root, "remaining", number.format(info.remaining));
    setField(root, "per-segment", number.format(info.perSegment));
    root.querySelectorAll("[data-sc-encoding]").forEach(function (el) {
      el.hidden = el.dataset.scEncoding !== info.encoding;
    });
    // {{ and }} are literal braces, not placeholders.
    var templated = PLACEHOLDER.test(textarea.value.replace(/\{\{|\}\}/g, ""));
    show(root, "placeholders", templated);
    show(root, "too-long", info.tooLong);
    setField(root, "max-parts", table.maxParts === null ? "" : number.format(table.maxParts));
    show(root, "too-many-characters", info.tooManyCharacters);
    setField(root, "max-characters",
      typeof table.maxCharacters === "number" ? number.format(table.maxCharacters) : "");
    // The page's own cap (a one-off message), said once: the gateway's, when it is
    // as strict, already says it.
    var pageMax = parseInt(root.dataset.maxCharacters, 10);
    var overPage = Number.isFinite(pageMax) && info.characters > pageMax;
    show(root, "over-page-limit", overPage && !info.tooManyCharacters);
    setField(root, "page-max-characters", Number.isFinite(pageMax) ? number.format(pageMax) : "");
    show(root, "non-gsm", info.nonGsmChars.length > 0);
    renderNonGsm(root, info.nonGsmChars);
    // Offer transliteration only when it pays: fewer parts, or GSM-7's larger room.
    // With an emoji left the text would stay UCS-2 and merely read worse; never when
    // it costs more parts ("щ" is four letters: 41 of them are 1 part, 2 in Latin).
    var after = null;
    if (translitAllowed && info.encoding === "ucs2" && !translitOn) {
      after = window.SmsSegments.count(window.SmsSegments.transliterate(text), table);
    }
    var offer = after !== null && after.segments <= info.segments &&
      (after.encoding === "gsm7" || after.segments < info.segments);
    show(root, "transliterate", offer);
    show(root, "translit-undo", canUndo(root, textarea, box));
    show(root, "translit-fewer", offer && after.segments < info.segments);
    show(root, "translit-room", offer && after.segments >= info.segments);
    setField(root, "translit-segments", after === null ? "" : number.format(after.segments));
    // With placeholders the count is of the template, not of what recipients get:
    // the cost is left to the audience preview, which renders each text.
    renderCost(root, info, templated);
    announce(root, sms);
  }

  // What a screen reader is told: the parts, the encoding and any warning, once they
  // have changed and the typing has paused; not the characters at every key.
  var WARNINGS = ["too-long", "too-many-characters", "over-page-limit"];
  var ANNOUNCE_AFTER_MS = 600;

  function spoken(el) {
    var copy = el.cloneNode(true);
    copy.querySelectorAll("[hidden]").forEach(function (hidden) {
      hidden.remove();
    });
    return copy.textContent.replace(/\s+/g, " ").trim();
  }

  function visible(el) {
    for (var node = el; node; node = node.parentElement) {
      if (node.hidden) return false;
    }
    return true;
  }

  function announcement(root, sms) {
    var parts = [];
    if (sms) {
      ["segments", "encoding"].forEach(function (name) {
        var el = root.querySelector('[data-sc-say="' + name + '"]');
        if (el) parts.push(spoken(el));
      });
    }
    WARNINGS.forEach(function (name) {
      root.querySelectorAll('[data-sc-show="' + name + '"]').forEach(function (el) {
        if (visible(el)) parts.push(spoken(el));
      });
    });
    return parts.join("; ");
  }

  function announce(root, sms) {
    var region = root.querySelector("[data-sc-announce]");
    if (!region) return;
    var text = announcement(root, sms);
    // The page as it loads is not news.
    if (root.lastAnnounced === undefined) root.lastAnnounced = text;
    clearTimeout(root.announceTimer);
    root.announceTimer = setTimeout(function () {
      if (text === root.lastAnnounced) return;
      root.lastAnnounced = text;
      region.textContent = text;
    }, ANNOUNCE_AFTER_MS);
  }

  // An undo stays offered while what the offer did still stands.
  function canUndo(root, textarea, box) {
    if (root.dataset.translitTicked) return Boolean(box && box.checked);
    return Boolean(root.translitUndo && textarea.value === root.translitUndo.after);
  }

  function translitBox(root) {
    var id = root.dataset.translitId;
    return id ? document.getElementById(id) : null;
  }

  function countersFor(textarea) {
    if (!textarea.id) return [];
    return Array.from(document.querySelectorAll(COUNTER)).filter(function (root) {
      return root.dataset.textareaId === textarea.id;
    });
  }

  function bind(root) {
    if (root.dataset.segmentCounterBound) return;
    root.dataset.segmentCounterBound = "true";
    new MutationObserver(function () {
      update(root);
    }).observe(root, { attributes: true, attributeFilter: WATCHED });
    update(root);
  }

  function bindAll(scope) {
    if (scope.matches && scope.matches(COUNTER)) bind(scope);
    scope.querySelectorAll(COUNTER).forEach(bind);
  }

  document.addEventListener("input", function (event) {
    countersFor(event.target).forEach(update);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest('[data-sc-action="transliterate"]');
    if (!button) return;
    var root = button.closest(COUNTER);
    var box = root && translitBox(root);
    if (box) {
      // The form's option: it also transliterates what the placeholders bring
      // (names, cities), which rewriting the template alone would leave Cyrillic.
      box.checked = true;
      root.dataset.translitTicked = "true";
      box.dispatchEvent(new Event("change", { bubbles: true }));
      // The pressed button is hidden now: focus goes to the undo in its place.
      root.querySelector('[data-sc-action="translit-undo"]').focus();
      return;
    }
    var textarea = root && document.getElementById(root.dataset.textareaId);
    if (!textarea) return;
    var before = textarea.value;
    textarea.value = window.SmsSegments.transliterate(textarea.value);
    root.translitUndo = { before: before, after: textarea.value };
    // Other listeners (validation, previews) learn about the change like from typing.
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.focus();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest('[data-sc-action="translit-undo"]');
    if (!button) return;
    var root = button.closest(COUNTER);
    var box = translitBox(root);
    var textarea = document.getElementById(root.dataset.textareaId);
    var offer = root.querySelector('[data-sc-action="transliterate"]');
    if (root.dataset.translitTicked) {
      delete root.dataset.translitTicked;
      if (box) {
        box.checked = false;
        box.dispatchEvent(new Event("change", { bubbles: true }));
      }
      offer.focus();
      return;
    }
    if (root.translitUndo && textarea) {
      textarea.value = root.translitUndo.before;
      root.translitUndo = null;
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
      textarea.focus();
    }
  });

  document.addEventListener("change", function (event) {
    var id = event.target.id;
    if (!id) return;
    document.querySelectorAll(COUNTER).forEach(function (root) {
      if (root.dataset.translitId === id) update(root);
    });
  });

  // A textarea swapped in by htmx keeps its id; recount whatever htmx loaded.
  document.addEventListener("htmx:load", function (event) {
    bindAll(event.target);
    document.querySelectorAll(COUNTER).forEach(function (root) {
      var textarea = root.dataset.textareaId && document.getElementById(root.dataset.textareaId);
      if (textarea && event.target.contains(textarea)) update(root);
    });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      bindAll(document);
    });
  } else {
    bindAll(document);
  }
})();
