/*
 * SMS segment counter for the composer: the same rules as campaigns/segments.py.
 *
 * The character sets, transliteration map and gateway tables below are generated
 * from Python (`python -m campaigns.segments` rewrites the RULES line) and
 * tests/campaigns/test_segments_js.py fails when they differ; only the algorithm is
 * written twice, and that test runs it under node against the Python counter.
 *
 * Browser: window.SmsSegments = {count, strip, transliterate, saving, estimateCost,
 * tables}.
 * Node: module.exports is the same object.
 */
(function (root) {
  "use strict";

  // BEGIN GENERATED RULES (python -m campaigns.segments)
  var RULES = {"formStripped": "\t\n\u000b\f\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000", "gsmBasic": "@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\n\u00d8\u00f8\r\u00c5\u00e5\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\u00c6\u00e6\u00df\u00c9 !\"#\u00a4%&'()*+,-./0123456789:;<=>?\u00a1ABCDEFGHIJKLMNOPQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7\u00bfabcdefghijklmnopqrstuvwxyz\u00e4\u00f6\u00f1\u00fc\u00e0", "gsmExtended": "\f^{}\\[~]|\u20ac", "tables": {"smsc": {"maxCharacters": 1000, "maxParts": null, "multiGsm": 153, "multiUcs2": 67, "singleGsm": 160, "singleUcs2": 70}, "standard": {"maxCharacters": null, "maxParts": null, "multiGsm": 153, "multiUcs2": 67, "singleGsm": 160, "singleUcs2": 70}, "websms": {"maxCharacters": null, "maxParts": 9, "multiGsm": 156, "multiUcs2": 66, "singleGsm": 160, "singleUcs2": 70}}, "translit": {"\u00a0": " ", "\u00ab": "\"", "\u00bb": "\"", "\u0401": "Yo", "\u0410": "A", "\u0411": "B", "\u0412": "V", "\u0413": "G", "\u0414": "D", "\u0415": "E", "\u0416": "Zh", "\u0417": "Z", "\u0418": "I", "\u0419": "Y", "\u041a": "K", "\u041b": "L", "\u041c": "M", "\u041d": "N", "\u041e": "O", "\u041f": "P", "\u0420": "R", "\u0421": "S", "\u0422": "T", "\u0423": "U", "\u0424": "F", "\u0425": "Kh", "\u0426": "Ts", "\u0427": "Ch", "\u0428": "Sh", "\u0429": "Shch", "\u042a": "", "\u042b": "Y", "\u042c": "", "\u042d": "E", "\u042e": "Yu", "\u042f": "Ya", "\u0430": "a", "\u0431": "b", "\u0432": "v", "\u0433": "g", "\u0434": "d", "\u0435": "e", "\u0436": "zh", "\u0437": "z", "\u0438": "i", "\u0439": "y", "\u043a": "k", "\u043b": "l", "\u043c": "m", "\u043d": "n", "\u043e": "o", "\u043f": "p", "\u0440": "r", "\u0441": "s", "\u0442": "t", "\u0443": "u", "\u0444": "f", "\u0445": "kh", "\u0446": "ts", "\u0447": "ch", "\u0448": "sh", "\u0449": "shch", "\u044a": "", "\u044b": "y", "\u044c": "", "\u044d": "e", "\u044e": "yu", "\u044f": "ya", "\u0451": "yo", "\u2007": " ", "\u2009": " ", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": "\"", "\u201d": "\"", "\u201e": "\"", "\u2026": "...", "\u202f": " ", "\u2116": "N", "\u2212": "-"}};
  // END GENERATED RULES

  var hasOwn = Object.prototype.hasOwnProperty;
  var BASIC = new Set(Array.from(RULES.gsmBasic));
  var EXTENDED = new Set(Array.from(RULES.gsmExtended));
  var STRIPPED = new Set(Array.from(RULES.formStripped));
  var TRANSLIT = RULES.translit;
  var TABLES = RULES.tables;

  // Septets of one character in GSM-7, or null when GSM-7 cannot carry it.
  function gsmUnits(ch) {
    if (BASIC.has(ch)) return 1;
    if (EXTENDED.has(ch)) return 2;
    return null;
  }

  // UTF-16 code units of one code point: an emoji outside the BMP takes two.
  function ucs2Units(ch) {
    return ch.codePointAt(0) > 0xffff ? 2 : 1;
  }

  function resolveTable(table) {
    if (table === undefined || table === null) return TABLES.standard;
    if (typeof table !== "string") return table;
    if (!hasOwn.call(TABLES, table)) throw new Error("Unknown segment table: " + table);
    return TABLES[table];
  }

  // Code points, not UTF-16 units, so a surrogate pair is one character.
  function charCosts(chars) {
    var nonGsm = [];
    var seen = new Set();
    chars.forEach(function (ch) {
      if (gsmUnits(ch) === null && !seen.has(ch)) {
        seen.add(ch);
        nonGsm.push(ch);
      }
    });
    if (nonGsm.length) {
      return { encoding: "ucs2", costs: chars.map(ucs2Units), nonGsm: nonGsm };
    }
    return { encoding: "gsm7", costs: chars.map(gsmUnits), nonGsm: [] };
  }

  // Greedy parts as units per part; a character never straddles two parts.
  function pack(costs, size) {
    var parts = [];
    var used = 0;
    costs.forEach(function (cost) {
      if (used + cost > size) {
        parts.push(used);
        used = 0;
      }
      used += cost;
    });
    parts.push(used);
    return parts;
  }

  function count(text, table) {
    var rules = resolveTable(table);
    var measured = charCosts(Array.from(text));
    var units = measured.costs.reduce(function (a, b) { return a + b; }, 0);
    var gsm = measured.encoding === "gsm7";
    var single = gsm ? rules.singleGsm : rules.singleUcs2;
    var multi = gsm ? rules.multiGsm : rules.multiUcs2;
    var segments, perSegment, remaining;
    if (units <= single) {
      segments = units ? 1 : 0;
      perSegment = single;
      remaining = single - units;
    } else {
      var parts = pack(measured.costs, multi);
      segments = parts.length;
      perSegment = multi;
      remaining = multi - parts[parts.length - 1];
    }
    return {
      encoding: measured.encoding,
      units: units,
      segments: segments,
      perSegment: perSegment,
      remaining: remaining,
      nonGsmChars: measured.nonGsm,
      tooLong: rules.maxParts !== null && segments > rules.maxParts,
      characters: measured.costs.length,
      tooManyCharacters:
        typeof rules.maxCharacters === "number" &&
        measured.costs.length > rules.maxCharacters,
    };
  }

  // The text as the server's form keeps it: both ends stripped as Python's
  // str.strip() does (every stripped character is in the BMP, so code units do).
  function strip(text) {
    var start = 0;
    var end = text.length;
    while (start < end && STRIPPED.has(text[start])) start++;
    while (end > start && STRIPPED.has(text[end - 1])) end--;
    return text.slice(start, end);
  }

  function isCapital(ch) {
    return (ch >= "A" && ch <= "Z") || (hasOwn.call(TRANSLIT, ch) && ch !== ch.toLowerCase());
  }

  // "Щука" -> "Shchuka"; a capital next to another capital is an all-caps word.
  function transliterate(text) {
    var chars = Array.from(text);
    var last = chars.length - 1;
    var pieces = chars
      .map(function (ch, i) {
        if (!hasOwn.call(TRANSLIT, ch)) return ch;
        var latin = TRANSLIT[ch];
        if (latin.length > 1 && ch !== ch.toLowerCase()) {
          var before = i > 0 && isCapital(chars[i - 1]);
          var after = i < last && isCapital(chars[i + 1]);
          if (before || after) latin = latin.toUpperCase();
        }
        return latin;
      });
    return withoutLoneSignSpaces(pieces).join("");
  }

  // Each character's Latin less a space beside each run of ъ/ь that stood alone
  // ("а ъ б" -> "a b"; "а ь" -> "a"); a line break is never dropped. As
  // campaigns.segments._without_lone_sign_spaces does.
  var SIGN_NEIGHBOURS = { " ": true, "\t": true, "\n": true, "\r": true };
  var SIGN_SPACES = { " ": true, "\t": true };

  function withoutLoneSignSpaces(pieces) {
    var drop = {};
    var index = 0;
    var end = pieces.length;
    while (index < end) {
      if (pieces[index] !== "") {
        index++;
        continue;
      }
      var after = index;
      while (after < end && pieces[after] === "") after++;
      var left = index > 0 ? pieces[index - 1] : null;
      var right = after < end ? pieces[after] : null;
      var leftAlone = left === null || hasOwn.call(SIGN_NEIGHBOURS, left);
      var rightAlone = right === null || hasOwn.call(SIGN_NEIGHBOURS, right);
      if (leftAlone && rightAlone) {
        if (right !== null && hasOwn.call(SIGN_SPACES, right)) drop[after] = true;
        else if (left !== null && hasOwn.call(SIGN_SPACES, left)) drop[index - 1] = true;
      }
      index = after;
    }
    return pieces.filter(function (piece, at) {
      return !drop[at];
    });
  }

  function saving(text, table) {
    return { before: count(text, table), after: count(transliterate(text), table) };
  }

  // Recipients x segments x price per SMS part; a float for display only (the
  // server computes the billed figure with Decimal).
  function estimateCost(segments, recipients, pricePerSegment) {
    return recipients * segments * pricePerSegment;
  }

  var api = {
    count: count,
    strip: strip,
    transliterate: transliterate,
    saving: saving,
    estimateCost: estimateCost,
    tables: TABLES,
  };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = api;
  }
  if (root) {
    root.SmsSegments = api;
  }
})(typeof window !== "undefined" ? window : null);
