// Tide predictions for the station from two harmonic constituents (M2 and S2).
// tides.js and units.js import each other: an ES module cycle, which works because
// each only uses the other's exports inside functions, after both have loaded.
import { metres } from "./units.js";

export const STATION = { name: "Tidewater Field Station", unit: "m", datum: "chart datum" };

const MEAN_LEVEL = 1.9; // metres above chart datum
const HOUR = 3600 * 1000;
const CONSTITUENTS = [
  { amplitude: 1.24, period: 12.4206, phase: 2.1 }, // M2, principal lunar
  { amplitude: 0.41, period: 12.0, phase: 0.7 }, // S2, principal solar
];

/** Predicted height (metres above chart datum) at `date`. */
export function predict(date) {
  const hours = date.getTime() / HOUR;
  let height = MEAN_LEVEL;
  for (const { amplitude, period, phase } of CONSTITUENTS) {
    height += amplitude * Math.cos((2 * Math.PI * hours) / period - phase);
  }
  return height;
}

/** High and low waters between `start` and `start + hours`, in time order. */
export function turns(start, hours) {
  const step = 2 * 60 * 1000;
  const end = start.getTime() + hours * HOUR;
  const found = [];
  let before = predict(new Date(start.getTime() - step));
  let here = predict(start);
  for (let t = start.getTime(); t < end; t += step) {
    const after = predict(new Date(t + step));
    if (here > before && here >= after) found.push({ kind: "high", time: new Date(t), height: here });
    if (here < before && here <= after) found.push({ kind: "low", time: new Date(t), height: here });
    before = here;
    here = after;
  }
  return found;
}

/** "High water, 3.41 m" */
export function describe(turn) {
  return `${turn.kind === "high" ? "High" : "Low"} water, ${metres(turn.height)}`;
}
