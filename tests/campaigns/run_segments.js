// Reads [[text, tableName], ...] as JSON on stdin and writes, for each case, what
// static/js/segments.js says: the count, the transliteration and its count.
"use strict";
const path = require("path");
const SmsSegments = require(path.resolve(__dirname, "../../static/js/segments.js"));

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const results = JSON.parse(input).map(([text, table]) => {
    const saving = SmsSegments.saving(text, table);
    return {
      count: SmsSegments.count(text, table),
      transliteration: SmsSegments.transliterate(text),
      after: saving.after,
    };
  });
  process.stdout.write(JSON.stringify(results));
});
