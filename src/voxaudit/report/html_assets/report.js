/* voxaudit report: table sorting and filtering, clip details, and the plotly pictures.
   Everything it needs is inside this page (the #vx-data JSON and plotly.js above). */
(function () {
  "use strict";
  function mark(name) { if (window.performance && performance.mark) performance.mark(name); }
  mark("vx-start");
  var D = JSON.parse(document.getElementById("vx-data").textContent);
  mark("vx-data");
  var S = D.s;
  // plotly.js is embedded after this script: it can be run once the parser has read the whole page.
  var domReady = new Promise(function (resolve) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", resolve);
    else resolve();
  });
  var plotlyState = null;  // null: not run yet; true: ready; false: failed
  function ensurePlotly() {
    // plotly.js is embedded as text and run on first use, after the page has been shown.
    if (plotlyState === null) {
      mark("vx-plotly-start");
      var src = document.getElementById("vx-plotly");
      try {
        var script = document.createElement("script");
        script.textContent = src ? src.textContent : "";
        document.head.appendChild(script);
        plotlyState = typeof window.Plotly !== "undefined";
      } catch (err) {
        plotlyState = false;
      }
      mark("vx-plotly-ready");
    }
    return plotlyState;
  }
  var PLOT_CONFIG = {displaylogo: false, responsive: true,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines",
      "hoverClosestCartesian", "hoverCompareCartesian"]};

  function fmt(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function esc(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function num(value) {
    if (value === null || value === undefined || value === "") return "—";
    if (typeof value === "boolean") return value ? S.yes : S.no;
    if (typeof value !== "number") return String(value);
    if (Number.isInteger(value)) return String(value);
    var a = Math.abs(value);
    var digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : a >= 0.01 ? 3 : 5;
    return value.toFixed(digits);
  }
  function codeLabel(code) { return D.codes[code] || String(code).replace(/_/g, " "); }
  function sevLabel(sev) { return S["severity_" + sev] || sev; }

  // ---------------------------------------------------------------------------------------------- table
  // Rows are rendered from D.clips a page at a time: thousands of <tr> (and media elements) would make
  // the page slow to open. Sorting and filtering work on index arrays.
  var PAGE_ROWS = 100;
  var table = document.getElementById("clips");
  var tbody = table.tBodies[0];
  var headCells = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var nCols = headCells.length;
  var clips = D.clips;
  var SEV = {info: 0, warning: 1, error: 2};
  clips.forEach(function (c, i) {
    var worst = -1, sevs = {}, codes = {};
    c.f.forEach(function (f) {
      if (f[1] in SEV) { sevs[f[1]] = true; worst = Math.max(worst, SEV[f[1]]); }
      codes[f[0]] = true;
    });
    c.i = i;
    c.worst = worst < 0 ? null : ["info", "warning", "error"][worst];
    c.sevs = sevs;
    c.codes = codes;
    c.bad = !!(sevs.error || sevs.warning);
    c.lower = c.p.toLowerCase();
    var id = c.id || {};
    c.key = {
      i: i, path: c.lower, q: c.q, sim: typeof id.similarity === "number" ? id.similarity : null,
      cl: typeof id.cluster === "number" ? id.cluster : null,
      dur: typeof c.m.duration_s === "number" ? c.m.duration_s : null,
      snr: typeof c.m.snr_db === "number" ? c.m.snr_db : null,
      bw: typeof c.m.bandwidth_hz === "number" ? c.m.bandwidth_hz : null,
      sev: worst < 0 ? 0 : (worst + 1) * 100 + c.f.length
    };
  });
  var order = clips.map(function (c) { return c.i; });   // current sort order
  var view = order.slice();                               // current sort order, filtered
  var limit = PAGE_ROWS;
  var openRows = {};

  function chip(f) {
    return '<span class="chip ' + esc(f[1]) + '" title="' + esc(f[2]) + '">' + esc(codeLabel(f[0])) + "</span>";
  }
  function rowHTML(i) {
    var c = clips[i], id = c.id || {}, k = c.key;
    var qc = c.q === null ? "" : c.q >= 80 ? "good" : c.q >= 50 ? "fair" : "poor";
    var findings = c.f.slice().sort(function (a, b) { return (SEV[b[1]] || 0) - (SEV[a[1]] || 0); });
    var cells = [
      '<td class="num idx">' + (i + 1) + "</td>",
      '<td class="path"><div class="p" title="' + esc(c.p) + '">' + esc(c.p) + "</div></td>",
      '<td class="play">' + (c.h === null
        ? '<span class="missing" role="note">⚠ ' + esc(S[c.hm] || S.missing_file) + "</span>"
        : '<button type="button" class="play" data-i="' + i + '" aria-label="' + esc(S.play) + '">▶</button>' +
          '<audio preload="none" src="' + esc(c.h) + '"></audio>') + "</td>",
      '<td class="num q ' + qc + '">' + (c.q === null ? "" : Math.round(c.q)) + "</td>"
    ];
    if (D.hasIdentity) {
      cells.push('<td class="num">' + (k.sim === null ? "" : k.sim.toFixed(3)) +
        (id.outlier ? ' <span class="outmark" title="' + esc(S.outlier_mark) + '">✕</span>' : "") + "</td>");
      cells.push('<td class="num">' + (k.cl === null ? "" : '<span class="grp" style="background:' +
        esc(D.groupColours[String(k.cl)] || "#9e9e9e") + '">' + k.cl + "</span>") + "</td>");
    }
    cells.push('<td class="num">' + (k.dur === null ? "" : k.dur.toFixed(1)) + "</td>");
    cells.push('<td class="num">' + (k.snr === null ? "" : k.snr.toFixed(1)) + "</td>");
    cells.push('<td class="num">' + (k.bw === null ? "" : (k.bw / 1000).toFixed(1)) + "</td>");
    cells.push('<td class="chips">' + (findings.length ? findings.map(chip).join("")
      : '<span class="chip clean">' + esc(S.no_findings) + "</span>") + "</td>");
    return '<tr id="clip-' + i + '" class="clip sev-' + (c.worst || "none") + (id.outlier ? " outlier" : "") +
      (openRows[i] ? " open" : "") + '" data-i="' + i + '" tabindex="0" aria-expanded="' + (openRows[i] ? "true" : "false") +
      '">' + cells.join("") + "</tr>" +
      (openRows[i] ? '<tr class="details" data-for="' + i + '"><td colspan="' + nCols + '">' + detailsHTML(i) + "</td></tr>" : "");
  }

  var moreBtn = document.getElementById("rows-more"), allBtn = document.getElementById("rows-all");
  function render() {
    var shown = Math.min(limit, view.length);
    tbody.innerHTML = view.slice(0, shown).map(rowHTML).join("");
    Array.prototype.forEach.call(tbody.querySelectorAll("tr.details"), function (tr) {
      var div = tr.querySelector(".clip-plot");
      if (div) drawClip(div, +tr.getAttribute("data-for"));
    });
    fCount.textContent = fmt(S.showing, {shown: shown, matching: view.length, total: clips.length});
    var left = view.length - shown;
    moreBtn.hidden = allBtn.hidden = left <= 0;
    moreBtn.textContent = fmt(S.show_more_rows, {n: Math.min(PAGE_ROWS, left)});
    allBtn.textContent = fmt(S.show_all_rows, {n: view.length});
  }
  moreBtn.addEventListener("click", function () { limit += PAGE_ROWS; render(); });
  allBtn.addEventListener("click", function () { limit = view.length; render(); });

  var sortKey = null, sortDir = 1;
  function sortBy(key, dir) {
    sortKey = key; sortDir = dir;
    order.sort(function (a, b) {
      var va = clips[a].key[key], vb = clips[b].key[key];
      if (va === null && vb === null) return a - b;
      if (va === null) return 1;            // blanks last, whatever the direction
      if (vb === null) return -1;
      if (va < vb) return -dir;
      if (va > vb) return dir;
      return a - b;
    });
    headCells.forEach(function (th) {
      if (th.hasAttribute("aria-sort")) {
        th.setAttribute("aria-sort", th.getAttribute("data-key") === key ? (dir > 0 ? "ascending" : "descending") : "none");
      }
    });
    applyFilters(true);
  }
  headCells.forEach(function (th) {
    var button = th.querySelector("button");
    if (!button) return;
    button.addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      // First click sorts ascending (worst quality, lowest similarity first); findings worst first.
      sortBy(key, key === sortKey ? -sortDir : (key === "sev" ? -1 : 1));
    });
  });

  var fPath = document.getElementById("f-path"), fCode = document.getElementById("f-code"),
    fSev = document.getElementById("f-severity"), fCluster = document.getElementById("f-cluster"),
    fOut = document.getElementById("f-outlier"), fCount = document.getElementById("f-count"),
    fSpeaker = document.getElementById("f-speaker");
  function matches(c, text, code, sev, cluster, out, speaker) {
    if (speaker && c.speaker !== speaker) return false;
    if (text && c.lower.indexOf(text) < 0) return false;
    if (code && !c.codes[code]) return false;
    if (sev === "flagged" && !c.bad) return false;
    if (sev === "clean" && c.bad) return false;
    if ((sev === "error" || sev === "warning" || sev === "info") && !c.sevs[sev]) return false;
    if (cluster !== "" && String(c.key.cl) !== cluster) return false;
    if (out !== "" && (c.id && c.id.outlier ? "1" : "0") !== out) return false;
    return true;
  }
  function applyFilters(keepLimit) {
    var text = (fPath.value || "").trim().toLowerCase();
    var code = fCode.value, sev = fSev.value;
    var cluster = fCluster ? fCluster.value : "", out = fOut ? fOut.value : "";
    var speaker = fSpeaker ? fSpeaker.value : "";
    view = order.filter(function (i) { return matches(clips[i], text, code, sev, cluster, out, speaker); });
    if (keepLimit !== true) limit = PAGE_ROWS;
    render();
  }
  [fPath, fCode, fSev, fCluster, fOut, fSpeaker].forEach(function (el) {
    if (el) el.addEventListener(el === fPath ? "input" : "change", applyFilters);
  });
  function resetFilters(noRender) {
    [fPath, fCode, fSev, fCluster, fOut, fSpeaker].forEach(function (el) { if (el) el.value = ""; });
    if (noRender !== true) applyFilters();
  }
  document.getElementById("f-reset").addEventListener("click", resetFilters);

  // -------------------------------------------------------------------------------------------- details
  function detailsHTML(i) {
    var c = D.clips[i];
    var left = "<h4>" + esc(S.details_findings) + "</h4>";
    if (c.f.length) {
      left += "<ul>" + c.f.map(function (f) {
        return '<li><span class="chip ' + esc(f[1]) + '">' + esc(codeLabel(f[0])) + "</span> " + esc(f[2]) +
          (f[3] ? '<div class="small">' + esc(S.hint) + ": " + esc(f[3]) + "</div>" : "") + "</li>";
      }).join("") + "</ul>";
    } else {
      left += '<p class="small">' + esc(S.no_findings) + "</p>";
    }
    if (c.id) {
      left += "<h4>" + esc(S.details_identity) + '</h4><table class="kv">' +
        ["similarity", "z", "cluster", "outlier", "reason"].filter(function (k) { return k in c.id; }).map(function (k) {
          return "<tr><td>" + esc(D.identity[k] || k) + "</td><td>" + esc(num(c.id[k])) + "</td></tr>";
        }).join("") + "</table>";
    }
    if (c.text) left += "<h4>" + esc(S.details_text) + "</h4><p>" + esc(c.text) + "</p>";
    if (c.notes && c.notes.length) {
      left += "<h4>" + esc(S.details_notes) + "</h4><ul>" + c.notes.map(function (n) { return "<li>" + esc(n) + "</li>"; }).join("") + "</ul>";
    }
    var keys = Object.keys(D.metrics).filter(function (k) { return k in c.m; });
    Object.keys(c.m).forEach(function (k) { if (!(k in D.metrics)) keys.push(k); });
    var right = "<h4>" + esc(S.details_metrics) + '</h4><table class="kv">' + keys.map(function (k) {
      return "<tr><td>" + esc(D.metrics[k] || k) + "</td><td>" + esc(num(c.m[k])) + "</td></tr>";
    }).join("") + "</table>";
    var plot;
    var key = String(i);
    if (D.pics[key]) plot = '<div class="clip-plot"></div>';
    else if (D.picState[key] === "capped") plot = '<p class="small">' + esc(fmt(S.no_plot_capped, {n: D.cap})) + "</p>";
    else if (D.picState[key] === "long") plot = '<p class="small">' + esc(fmt(S.no_plot_long, {n: D.maxPictureMinutes})) + "</p>";
    else if (D.picState[key] === "unreadable") plot = '<p class="small">' + esc(S.no_plot_unreadable) + "</p>";
    else plot = '<p class="small">' + esc(S.no_plot) + "</p>";
    return '<div class="dgrid"><div>' + left + "</div><div>" + right + "</div></div>" + plot;
  }

  function toggle(row, open) {
    var i = +row.getAttribute("data-i");
    var want = open === undefined ? !openRows[i] : open;
    if (want === !!openRows[i]) return;
    if (want) openRows[i] = true; else delete openRows[i];
    row.classList.toggle("open", want);
    row.setAttribute("aria-expanded", want ? "true" : "false");
    var next = row.nextElementSibling;
    if (!want) {
      if (next && next.classList.contains("details")) next.parentNode.removeChild(next);
      return;
    }
    var tr = document.createElement("tr");
    tr.className = "details";
    tr.setAttribute("data-for", String(i));
    tr.innerHTML = '<td colspan="' + nCols + '">' + detailsHTML(i) + "</td>";
    row.parentNode.insertBefore(tr, next);
    var div = tr.querySelector(".clip-plot");
    if (div) drawClip(div, i);
  }
  function play(button) {
    // The native player replaces the button: one media control bar per clip played, not per row.
    var audio = button.nextElementSibling;
    button.parentNode.removeChild(button);
    audio.controls = true;
    var p = audio.play();
    if (p && p.catch) p.catch(function () { /* the user can press play on the native control */ });
  }
  // A player whose clip cannot be loaded (the report was moved without its audio folder, or the file
  // was deleted) says so next to it, and a banner at the top says why. Media errors do not bubble:
  // listen in the capture phase.
  document.addEventListener("error", function (ev) {
    var audio = ev.target;
    if (!audio || audio.tagName !== "AUDIO" || audio._vxFailed) return;
    audio._vxFailed = true;
    var note = document.createElement("span");
    note.className = "missing unreachable";
    note.setAttribute("role", "note");
    note.textContent = "⚠ " + S.unreachable_file;
    note.title = audio.getAttribute("src") || "";
    audio.hidden = true;
    audio.parentNode.insertBefore(note, audio.nextSibling);
    var banner = document.getElementById("audio-banner");
    if (banner) banner.hidden = false;
  }, true);
  tbody.addEventListener("click", function (ev) {
    var button = ev.target.closest("button.play");
    if (button) { play(button); return; }
    if (ev.target.closest("audio, a, button, input, select")) return;
    var row = ev.target.closest("tr.clip");
    if (row) toggle(row);
  });
  tbody.addEventListener("keydown", function (ev) {
    if ((ev.key === "Enter" || ev.key === " ") && ev.target.matches && ev.target.matches("tr.clip")) {
      ev.preventDefault();
      toggle(ev.target);
    }
  });

  function openClip(i) {
    // Show that one clip: filter the table to its path, open its details, bring it into view.
    resetFilters(true);
    openRows[i] = true;
    fPath.value = clips[i].p;
    applyFilters();
    var row = document.getElementById("clip-" + i);
    if (!row) return;
    row.scrollIntoView({block: "center", behavior: "smooth"});
    row.focus({preventScroll: true});
  }
  document.addEventListener("click", function (ev) {
    var jump = ev.target.closest("a.jump");
    if (jump) { ev.preventDefault(); openClip(+jump.getAttribute("data-i")); return; }
    var show = ev.target.closest("button.show-code");
    if (show) {
      resetFilters(true);
      fCode.value = show.getAttribute("data-code");
      applyFilters();
      table.scrollIntoView({behavior: "smooth", block: "start"});
    }
  });

  // ------------------------------------------------------------------------------------ clip pictures
  // Drawn by plots.js (VoxauditPlots), shared with the live page of `voxaudit serve`.
  function drawClip(div, i) {
    var p = D.pics[String(i)];
    if (!p || div._drawn) return;
    div._drawn = true;
    if (typeof DecompressionStream === "undefined") {
      div.innerHTML = '<p class="small">' + esc(S.plot_error) + "</p>";
      return;
    }
    var codes = D.clips[i].f.map(function (f) { return f[0]; });
    domReady.then(function () {
      if (!ensurePlotly()) throw new Error("plotly.js did not load");
      return window.VoxauditPlots.drawClipPicture(div, p, {strings: S, codes: codes});
    }).catch(function (err) {
      div.innerHTML = '<p class="small">' + esc(S.plot_error) + "</p>";
      if (window.console) console.warn("voxaudit: clip picture failed", err);
    });
  }

  // ------------------------------------------------------------------------------- flagged clip gallery
  var gallery = document.getElementById("gallery");
  var galleryMore = document.getElementById("gallery-more");
  var PAGE = 12, shownCards = 0;
  var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      if (e.isIntersecting) { observer.unobserve(e.target); drawClip(e.target, +e.target.getAttribute("data-i")); }
    });
  }, {rootMargin: "400px 0px"}) : null;
  function addCards() {
    var frag = document.createDocumentFragment();
    var end = Math.min(D.gallery.length, shownCards + PAGE);
    for (var k = shownCards; k < end; k++) {
      var i = D.gallery[k], c = D.clips[i];
      var card = document.createElement("div");
      card.className = "gcard";
      var path = c.p;
      card.innerHTML = '<div class="gtitle"><a href="#clip-' + i + '" class="jump" data-i="' + i + '" title="' + esc(path) + '">' +
        esc(path) + '</a></div><div class="gchips">' + c.f.map(function (f) {
          return '<span class="chip ' + esc(f[1]) + '" title="' + esc(f[2]) + '">' + esc(codeLabel(f[0])) + "</span>";
        }).join("") + '</div><div class="clip-plot" data-i="' + i + '"></div>';
      frag.appendChild(card);
      var div = card.querySelector(".clip-plot");
      if (observer) observer.observe(div); else drawClip(div, i);
    }
    gallery.appendChild(frag);
    shownCards = end;
    var left = D.gallery.length - shownCards;
    galleryMore.hidden = left <= 0;
    galleryMore.textContent = fmt(S.show_more, {n: Math.min(PAGE, left)});
  }

  // --------------------------------------------------------------------------------- set-level figures
  function drawFigure(id, fig) {
    var div = document.getElementById(id);
    if (!div || !fig) return null;
    if (!ensurePlotly()) { div.innerHTML = '<p class="small">' + esc(S.plot_error) + "</p>"; return null; }
    return Plotly.newPlot(div, fig.data, fig.layout, PLOT_CONFIG).then(function () {
      if (id === "voice-map") {
        div.on("plotly_click", function (ev) {
          if (ev && ev.points && ev.points.length) openClip(ev.points[0].customdata);
        });
      }
    });
  }
  // ------------------------------------------------------------------------------------------ start
  applyFilters();
  mark("vx-table");
  if (gallery) {
    galleryMore.addEventListener("click", addCards);
    addCards();
  }
  // Let the browser show the verdict and the table first, then run plotly.js and draw the pictures.
  function markShown() { mark("vx-shown"); }  // the first frame with the verdict and the table is out
  if (window.requestAnimationFrame) requestAnimationFrame(function () { setTimeout(markShown, 0); });
  else setTimeout(markShown, 0);
  domReady.then(function () {
    return new Promise(function (resolve) {
      if (window.requestAnimationFrame) requestAnimationFrame(function () { setTimeout(resolve, 0); });
      else setTimeout(resolve, 0);
    });
  }).then(function () {
    return Promise.all([drawFigure("voice-map", D.figs.map), drawFigure("similarity-hist", D.figs.hist),
                        drawFigure("speaker-heatmap", D.figs.speakers)]);
  }).catch(function (err) {
    if (window.console) console.warn("voxaudit: chart failed", err);
  }).then(function () {
    mark("vx-charts");
    document.body.setAttribute("data-ready", "1");
  });
})();
