// Entry module, on every page: fills in what depends on the visitor's clock.
// Panels that only some pages have are loaded on demand with import().
import { STATION, describe, turns } from "./tides.js";
import { drawChart } from "./chart.js";
import { clock, startOfDay } from "./units.js";
import { relativeTime } from "timeago";

const now = new Date();

function show(id, html) {
  const element = document.getElementById(id);
  if (element) {
    element.innerHTML = html;
    element.dataset.rendered = "";
  }
  return element;
}

function nextTide() {
  const next = turns(now, 13)[0];
  show(
    "next-tide",
    `<span class="label">Next turn of the tide</span>` +
      `<p class="value">${next.kind === "high" ? "High" : "Low"} ${clock(next.time)}</p>` +
      `<p class="detail">${describe(next)}, ${relativeTime(next.time, now)}</p>`,
  );
}

function tideTable() {
  const rows = turns(startOfDay(now), 24).map(
    (turn) =>
      `<tr><td><span class="kind ${turn.kind}">${turn.kind === "high" ? "High" : "Low"}</span></td>` +
      `<td>${clock(turn.time)}</td><td>${describe(turn).split(", ")[1]}</td></tr>`,
  );
  show("tide-table", `<table class="turns"><thead><tr><th>Water</th><th>Time</th><th>Height</th></tr></thead>` +
    `<tbody>${rows.join("")}</tbody></table>`);
}

if (document.getElementById("next-tide")) nextTide();
if (document.getElementById("tide-table")) tideTable();
const chart = document.getElementById("tide-chart");
if (chart) drawChart(chart, now);

const conditions = document.getElementById("conditions");
if (conditions) {
  const { render } = await import("./conditions.js");
  render(conditions, now);
}
const hours = document.getElementById("opening-hours");
if (hours) {
  const { render } = await import("./hours.js");
  render(hours, now);
}

show("computed", `Tide times computed in your browser at ${clock(now)} for ${STATION.name}, above ${STATION.datum}.`);
document.documentElement.dataset.js = "ready";
