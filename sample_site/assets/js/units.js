// Formatting of heights and times. Imports tides.js, which imports this module back.
import { STATION } from "./tides.js";

export function metres(height) {
  return `${height.toFixed(2)} ${STATION.unit}`;
}

export function clock(date) {
  return date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
}

export function startOfDay(date) {
  const day = new Date(date);
  day.setHours(0, 0, 0, 0);
  return day;
}
