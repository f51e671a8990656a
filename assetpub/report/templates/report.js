// assetpub report: the treemap (laid out by assetpub in Python, drawn and zoomed here),
// its tooltip, and the sortable tables. No network, no dependencies.
(() => {
  "use strict";
  const D = JSON.parse(document.getElementById("report-data").textContent);
  const map = document.getElementById("treemap");
  const tip = document.getElementById("tip");
  const crumbs = document.getElementById("crumbs");
  const F = { name: 0, type: 1, raw: 2, gz: 3, br: 4, hasGz: 5, hasBr: 6, x: 7, y: 8, w: 9, h: 10 };
  const dirRects = new Map(D.dirs.map((d) => [d[0], d.slice(1)]));
  let root = "";

  const size = (n) => {
    const units = ["B", "KB", "MB", "GB"];
    let i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
  };
  const under = (name, dir) => dir === "" || name.startsWith(dir + "/");
  // the directory one level below `dir` that holds `name`, or null when `name` is directly in `dir`
  const childDir = (name, dir) => {
    const rest = dir === "" ? name : name.slice(dir.length + 1);
    const cut = rest.indexOf("/");
    return cut < 0 ? null : (dir === "" ? "" : dir + "/") + rest.slice(0, cut);
  };
  const frame = () => (root === "" ? [0, 0, 1, 1] : dirRects.get(root));
  const pct = (v) => `${(100 * v).toFixed(4)}%`;

  function place(el, r, fr) {
    el.style.left = pct((r[0] - fr[0]) / fr[2]);
    el.style.top = pct((r[1] - fr[1]) / fr[3]);
    el.style.width = pct(r[2] / fr[2]);
    el.style.height = pct(r[3] / fr[3]);
  }

  function draw() {
    const fr = frame();
    const W = map.clientWidth, H = map.clientHeight;
    const out = document.createDocumentFragment();
    D.files.forEach((f, i) => {
      if (!under(f[F.name], root)) return;
      const el = document.createElement("div");
      el.className = `tm-file t-${f[F.type]}` + (childDir(f[F.name], root) ? "" : " leaf");
      el.dataset.i = i;
      el.dataset.name = f[F.name];
      place(el, f.slice(F.x), fr);
      if ((f[F.w] / fr[2]) * W > 54 && (f[F.h] / fr[3]) * H > 18) {
        const label = document.createElement("span");
        label.textContent = f[F.name].slice(f[F.name].lastIndexOf("/") + 1);
        el.appendChild(label);
      }
      out.appendChild(el);
    });
    for (const [name, r] of dirRects) {
      if (name === root || !under(name, root)) continue;
      const el = document.createElement("div");
      el.className = "tm-dir";
      el.dataset.dir = name;
      place(el, r, fr);
      if ((r[2] / fr[2]) * W > 40 && (r[3] / fr[3]) * H > 16) {
        const label = document.createElement("span");
        label.textContent = root === "" ? name + "/" : name.slice(root.length + 1) + "/";
        el.appendChild(label);
      }
      out.appendChild(el);
    }
    map.replaceChildren(out);
    map.dataset.root = root;
    drawCrumbs();
  }

  function drawCrumbs() {
    const parts = root === "" ? [] : root.split("/");
    const out = document.createDocumentFragment();
    const add = (label, dir) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.dataset.dir = dir;
      if (dir === root) b.setAttribute("aria-current", "true");
      b.addEventListener("click", () => zoom(dir));
      out.appendChild(b);
    };
    add("all files", "");
    parts.forEach((part, i) => {
      out.appendChild(document.createTextNode(" / "));
      add(part, parts.slice(0, i + 1).join("/"));
    });
    crumbs.replaceChildren(out);
  }

  function zoom(dir) {
    root = dir;
    tip.hidden = true;
    draw();
  }

  function showTip(el, x, y) {
    const f = D.files[+el.dataset.i];
    const saving = (v) => (f[F.raw] ? `${Math.round(100 * (1 - v / f[F.raw]))}%` : "–");
    const rows = [["raw", size(f[F.raw]), ""]];
    rows.push(["gzip", f[F.hasGz] ? size(f[F.gz]) : "no variant", f[F.hasGz] ? `saves ${saving(f[F.gz])}` : ""]);
    rows.push(["brotli", f[F.hasBr] ? size(f[F.br]) : "no variant", f[F.hasBr] ? `saves ${saving(f[F.br])}` : ""]);
    const b = document.createElement("b");
    b.textContent = f[F.name];
    const table = document.createElement("table");
    for (const row of rows) {
      const tr = table.insertRow();
      for (const cell of row) tr.insertCell().textContent = cell;
    }
    const type = document.createElement("div");
    type.textContent = `${f[F.type]} · downloads ${size(f[F.br])}`;
    tip.replaceChildren(b, type, table);
    tip.hidden = false;
    const w = tip.offsetWidth, h = tip.offsetHeight;
    tip.style.left = `${Math.max(4, Math.min(x + 14, window.innerWidth - w - 4))}px`;
    tip.style.top = `${y + 16 + h > window.innerHeight ? Math.max(4, y - h - 12) : y + 16}px`;
    map.querySelectorAll(".tm-file.active").forEach((a) => a.classList.remove("active"));
    el.classList.add("active");
  }

  map.addEventListener("mousemove", (e) => {
    const el = e.target.closest(".tm-file");
    if (el) showTip(el, e.clientX, e.clientY);
  });
  map.addEventListener("mouseleave", () => { tip.hidden = true; });
  map.addEventListener("click", (e) => {
    const el = e.target.closest(".tm-file");
    if (!el) return;
    const dir = childDir(el.dataset.name, root);
    if (dir !== null) zoom(dir);
    else showTip(el, e.clientX, e.clientY); // a tap on a phone: the sizes
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && root !== "") zoom(root.includes("/") ? root.slice(0, root.lastIndexOf("/")) : "");
  });
  let pending = false;
  window.addEventListener("resize", () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  });

  // sortable tables: numbers sort largest first on the first click, text A to Z
  for (const table of document.querySelectorAll("table.sortable")) {
    const heads = Array.from(table.tHead.rows[0].cells);
    heads.forEach((th, col) => {
      th.tabIndex = 0;
      const sort = () => {
        const numeric = th.dataset.key === "num";
        const current = th.getAttribute("aria-sort");
        const order = current ? (current === "ascending" ? "descending" : "ascending") : numeric ? "descending" : "ascending";
        const sign = order === "ascending" ? 1 : -1;
        const body = table.tBodies[0];
        const keyed = Array.from(body.rows, (row, i) => {
          const cell = row.cells[col];
          return [numeric ? Number(cell.dataset.v) : cell.textContent, i, row];
        });
        keyed.sort((a, b) => (a[0] < b[0] ? -sign : a[0] > b[0] ? sign : a[1] - b[1]));
        heads.forEach((h) => h.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", order);
        const out = document.createDocumentFragment();
        for (const k of keyed) out.appendChild(k[2]);
        body.appendChild(out);
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", (e) => { if (e.key === "Enter") sort(); });
    });
  }

  draw();
  document.documentElement.dataset.report = "ready";
})();
