// Today's conditions at the station; loaded by main.js with import() on the home page only.
import { relativeTime } from "timeago";
import { clock } from "./units.js";

const READINGS = [
  { name: "Water", figure: "13.5 °C" },
  { name: "Wind", figure: "SW 14 kn" },
  { name: "Swell", figure: "0.8 m" },
  { name: "Visibility", figure: "Good" },
];

export function render(container, now) {
  const observed = new Date(now.getTime() - 12 * 60 * 1000);
  container.innerHTML =
    `<div class="conditions">${READINGS.map(
      (r) => `<div class="reading"><div class="name">${r.name}</div><div class="figure">${r.figure}</div></div>`,
    ).join("")}</div>` +
    `<p class="updated">Observed at the station mast at ${clock(observed)}, ${relativeTime(observed, now)}.</p>`;
  container.dataset.rendered = "";
}
