// Opening hours and "open now"; loaded by main.js with import() on the visit page.
import { clock } from "./units.js";

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const HOURS = { 0: [10, 16], 2: [9, 17], 3: [9, 17], 4: [9, 17], 5: [9, 17], 6: [9, 18] }; // closed on Mondays

export function render(container, now) {
  const today = now.getDay();
  const open = HOURS[today];
  const isOpen = open && now.getHours() >= open[0] && now.getHours() < open[1];
  const status = container.querySelector("[data-status]");
  status.textContent = isOpen ? `Open now · until ${open[1]}:00` : `Closed now · checked ${clock(now)}`;
  status.classList.toggle("closed", !isOpen);
  const rows = [1, 2, 3, 4, 5, 6, 0].map((day) => {
    const span = HOURS[day];
    const text = span ? `${span[0]}:00 – ${span[1]}:00` : "Closed";
    return `<tr${day === today ? ' class="today"' : ""}><td>${DAYS[day]}</td><td>${text}</td></tr>`;
  });
  container.querySelector("tbody").innerHTML = rows.join("");
  container.dataset.rendered = "";
}
