// The day's tide curve as an inline SVG: the shaded water, the curve, high and low
// waters, and a dashed line at the current time.
import { predict, turns } from "./tides.js";
import { clock, startOfDay } from "./units.js";

const W = 640;
const H = 220;
const PAD = { top: 16, right: 12, bottom: 28, left: 36 };
const MAX = 4; // metres shown on the axis
// An image beside this module, named the standard way: assetpub rewrites it to the
// fingerprinted name (and this module's fingerprint follows the image's).
const BUOY = new URL("../img/buoy.svg", import.meta.url);

export function drawChart(container, now) {
  const day = startOfDay(now);
  const x = (date) => PAD.left + ((date - day) / 864e5) * (W - PAD.left - PAD.right);
  const y = (height) => PAD.top + (1 - height / MAX) * (H - PAD.top - PAD.bottom);
  const points = [];
  for (let minute = 0; minute <= 24 * 60; minute += 10) {
    const t = new Date(day.getTime() + minute * 6e4);
    points.push(`${x(t).toFixed(1)},${y(predict(t)).toFixed(1)}`);
  }
  const base = y(0).toFixed(1);
  const parts = [
    `<path class="area" d="M${PAD.left},${base} L${points.join(" L")} L${W - PAD.right},${base} Z"/>`,
    `<path class="curve" d="M${points.join(" L")}"/>`,
  ];
  for (let m = 0; m <= MAX; m += 1) {
    parts.push(`<text x="4" y="${y(m) + 4}">${m} m</text>`);
  }
  for (let h = 0; h <= 24; h += 6) {
    const t = new Date(day.getTime() + h * 36e5);
    const anchor = h === 0 ? "start" : h === 24 ? "end" : "middle";
    parts.push(`<text x="${x(t)}" y="${H - 8}" text-anchor="${anchor}">${String(h).padStart(2, "0")}:00</text>`);
  }
  for (const turn of turns(day, 24)) {
    parts.push(`<circle class="turn" cx="${x(turn.time)}" cy="${y(turn.height)}" r="4"><title>${clock(turn.time)}</title></circle>`);
  }
  parts.push(`<line class="now" x1="${x(now)}" x2="${x(now)}" y1="${PAD.top}" y2="${y(0)}"/>`);
  parts.push(`<image class="buoy" href="${BUOY}" x="${x(now) - 12}" y="${y(predict(now)) - 20}" width="24" height="24"/>`);
  container.innerHTML =
    `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="Predicted tide height today">${parts.join("")}</svg>`;
}
