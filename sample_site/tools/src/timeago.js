// timeago: "in 3 hours", "12 minutes ago" between two dates.
// The sample site's stand-in for a third-party package: generate.py ships it
// prebuilt (trimmed to one line) with a source map back to this file.
const UNITS = [
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
];
const FORMAT = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

export function relativeTime(date, now = new Date()) {
  const seconds = Math.round((date.getTime() - now.getTime()) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === "minute") {
      return FORMAT.format(Math.round(seconds / size), unit);
    }
  }
}

export const version = "1.2.0";
