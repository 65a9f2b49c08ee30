/* voxaudit report: table sorting and filtering, clip details, and the plotly pictures.
   Everything it needs is inside this page (the #vx-data JSON and plotly.js above). */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("vx-data").textContent);
  var S = D.s;
  var hasPlotly = typeof window.Plotly !== "undefined";
  var PLOT_CONFIG = {displaylogo: false, responsive: true,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines",
      "hoverClosestCartesian", "hoverCompareCartesian"]};
  var SMALL_CONFIG = {displaylogo: false, responsive: true, displayModeBar: false};
  // Magma, as matplotlib defines it (sampled).
  var MAGMA = [[0, "#000004"], [0.125, "#1c1044"], [0.25, "#4f127b"], [0.375, "#812581"],
    [0.5, "#b5367a"], [0.625, "#e55964"], [0.75, "#fb8761"], [0.875, "#fec287"], [1, "#fcfdbf"]];

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
  var table = document.getElementById("clips");
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.querySelectorAll("tr.clip"));
  var byIndex = {};
  rows.forEach(function (row) { byIndex[row.getAttribute("data-i")] = row; });
  var nCols = table.tHead.rows[0].cells.length;

  function reattach(list) {
    var frag = document.createDocumentFragment();
    list.forEach(function (row) {
      frag.appendChild(row);
      if (row._details) frag.appendChild(row._details);
    });
    tbody.appendChild(frag);
  }

  var sortKey = null, sortDir = 1;
  function sortBy(key, type, dir) {
    sortKey = key; sortDir = dir;
    var attr = "data-" + key;
    var keyed = rows.map(function (row) {
      var raw = row.getAttribute(attr);
      var v = type === "num" ? (raw === "" || raw === null ? null : parseFloat(raw)) : (raw || "");
      return {row: row, v: v, i: +row.getAttribute("data-i")};
    });
    keyed.sort(function (a, b) {
      if (a.v === null && b.v === null) return a.i - b.i;
      if (a.v === null) return 1;            // blanks last, whatever the direction
      if (b.v === null) return -1;
      if (a.v < b.v) return -dir;
      if (a.v > b.v) return dir;
      return a.i - b.i;
    });
    rows = keyed.map(function (k) { return k.row; });
    reattach(rows);
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.setAttribute("aria-sort", th.getAttribute("data-key") === key ? (dir > 0 ? "ascending" : "descending") : "none");
    });
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var key = th.getAttribute("data-key"), type = th.getAttribute("data-type");
      // First click sorts ascending (worst quality, lowest similarity first); findings worst first.
      var dir = key === sortKey ? -sortDir : (key === "sev" ? -1 : 1);
      sortBy(key, type, dir);
    });
  });

  var fPath = document.getElementById("f-path"), fCode = document.getElementById("f-code"),
    fSev = document.getElementById("f-severity"), fCluster = document.getElementById("f-cluster"),
    fOut = document.getElementById("f-outlier"), fCount = document.getElementById("f-count");
  function applyFilters() {
    var text = (fPath.value || "").trim().toLowerCase();
    var code = fCode.value, sev = fSev.value;
    var cluster = fCluster ? fCluster.value : "", out = fOut ? fOut.value : "";
    var shown = 0;
    rows.forEach(function (row) {
      var ok = true;
      if (text && row.getAttribute("data-path").indexOf(text) < 0) ok = false;
      if (ok && code && (" " + row.getAttribute("data-codes") + " ").indexOf(" " + code + " ") < 0) ok = false;
      if (ok && sev) {
        var sevs = " " + row.getAttribute("data-sevs") + " ";
        var bad = sevs.indexOf(" error ") >= 0 || sevs.indexOf(" warning ") >= 0;
        if (sev === "flagged") ok = bad;
        else if (sev === "clean") ok = !bad;
        else ok = sevs.indexOf(" " + sev + " ") >= 0;
      }
      if (ok && cluster !== "" && row.getAttribute("data-cl") !== cluster) ok = false;
      if (ok && out !== "" && row.getAttribute("data-out") !== out) ok = false;
      row.classList.toggle("hidden", !ok);
      if (row._details) row._details.classList.toggle("hidden", !ok || !row._open);
      if (ok) shown++;
    });
    fCount.textContent = fmt(S.showing, {shown: shown, total: rows.length});
  }
  [fPath, fCode, fSev, fCluster, fOut].forEach(function (el) {
    if (el) el.addEventListener(el === fPath ? "input" : "change", applyFilters);
  });
  function resetFilters() {
    [fPath, fCode, fSev, fCluster, fOut].forEach(function (el) { if (el) el.value = ""; });
    applyFilters();
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
    else if (D.picState[key] === "unreadable") plot = '<p class="small">' + esc(S.no_plot_unreadable) + "</p>";
    else plot = '<p class="small">' + esc(S.no_plot) + "</p>";
    return '<div class="dgrid"><div>' + left + "</div><div>" + right + "</div></div>" + plot;
  }

  function toggle(row, open) {
    var want = open === undefined ? !row._open : open;
    if (want === !!row._open) return;
    row._open = want;
    row.classList.toggle("open", want);
    row.setAttribute("aria-expanded", want ? "true" : "false");
    if (want && !row._details) {
      var i = +row.getAttribute("data-i");
      var tr = document.createElement("tr");
      tr.className = "details";
      var td = document.createElement("td");
      td.colSpan = nCols;
      td.innerHTML = detailsHTML(i);
      tr.appendChild(td);
      row.parentNode.insertBefore(tr, row.nextSibling);
      row._details = tr;
      var div = td.querySelector(".clip-plot");
      if (div) drawClip(div, i);
    }
    if (row._details) row._details.classList.toggle("hidden", !want);
  }
  tbody.addEventListener("click", function (ev) {
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
    var row = byIndex[String(i)];
    if (!row) return;
    if (row.classList.contains("hidden")) resetFilters();
    toggle(row, true);
    row.scrollIntoView({block: "center", behavior: "smooth"});
    row.focus({preventScroll: true});
  }
  document.addEventListener("click", function (ev) {
    var jump = ev.target.closest("a.jump");
    if (jump) { ev.preventDefault(); openClip(jump.getAttribute("data-i")); return; }
    var show = ev.target.closest("button.show-code");
    if (show) {
      resetFilters();
      fCode.value = show.getAttribute("data-code");
      applyFilters();
      table.scrollIntoView({behavior: "smooth", block: "start"});
    }
  });

  // ------------------------------------------------------------------------------------ clip pictures
  function bytesOf(b64) {
    var bin = atob(b64), out = new Uint8Array(bin.length);
    for (var k = 0; k < bin.length; k++) out[k] = bin.charCodeAt(k);
    return out;
  }
  function inflate(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer().then(function (buf) { return new Uint8Array(buf); });
  }

  function clipFigure(p, codes, spec) {
    // Waveform envelope (mu-law int8 min/max pairs).
    var env = new Int8Array(bytesOf(p.env).buffer);
    var n = env.length / 2, lo = new Array(n), hi = new Array(n), t = new Array(n);
    var mu = 255;
    function expand(v) { var y = v / 127; return (y < 0 ? -1 : 1) * (Math.pow(1 + mu, Math.abs(y)) - 1) / mu; }
    for (var k = 0; k < n; k++) {
      lo[k] = expand(env[2 * k]); hi[k] = expand(env[2 * k + 1]);
      t[k] = (k + 0.5) * p.dur / n;
    }
    var yr = Math.max(p.peak * 1.1, 0.02);
    var data = [
      {type: "scatter", mode: "lines", x: t, y: hi, line: {width: 0.6, color: "#2f5d9e"}, hoverinfo: "skip", xaxis: "x", yaxis: "y"},
      {type: "scatter", mode: "lines", x: t, y: lo, line: {width: 0.6, color: "#2f5d9e"}, fill: "tonexty",
        fillcolor: "rgba(47,93,158,0.55)", hoverinfo: "skip", xaxis: "x", yaxis: "y"}
    ];
    var shapes = [];
    var longest = -1;
    if (codes.indexOf("long_pause") >= 0) {
      // The longest pause inside the clip (not the leading or trailing silence).
      var best = 0;
      p.sil.forEach(function (s, k) {
        if (s[0] > 0.001 && s[1] < p.dur - 0.001 && s[1] - s[0] > best) { best = s[1] - s[0]; longest = k; }
      });
    }
    p.sil.forEach(function (s, k) {
      shapes.push({type: "rect", xref: "x", yref: "y domain", x0: s[0], x1: s[1], y0: 0, y1: 1, layer: "below",
        line: {width: 0}, fillcolor: k === longest ? "rgba(217,129,0,0.30)" : "rgba(110,110,110,0.17)"});
    });
    var minw = p.dur / 400;
    p.clip.forEach(function (r) {
      var mid = (r[0] + r[1]) / 2, w = Math.max(r[1] - r[0], minw) / 2;
      shapes.push({type: "rect", xref: "x", yref: "y domain", x0: mid - w, x1: mid + w, y0: 0, y1: 1,
        line: {width: 0}, fillcolor: "rgba(198,40,40,0.55)"});
    });
    // Spectrogram: log-spaced band centres from fmin to fmax.
    var nf = p.nf, nt = p.nt, z = new Array(nf), freqs = new Array(nf), times = new Array(nt);
    var ratio = nf > 1 ? Math.pow(p.fmax / p.fmin, 1 / (nf - 1)) : 1;
    var base = p.top - p.range;
    for (var f = 0; f < nf; f++) {
      freqs[f] = p.fmin * Math.pow(ratio, f);
      var row = new Array(nt);
      for (var c = 0; c < nt; c++) row[c] = base + spec[f * nt + c] * p.step;
      z[f] = row;
    }
    for (var c2 = 0; c2 < nt; c2++) times[c2] = p.t0 + c2 * p.dt;
    data.push({type: "heatmap", x: times, y: freqs, z: z, zmin: base, zmax: p.top, colorscale: MAGMA,
      showscale: false, xaxis: "x", yaxis: "y2", hovertemplate: "%{x:.2f} s · %{y:.0f} Hz · %{z:.0f} dB<extra></extra>"});
    function hline(freq, label, colour) {
      data.push({type: "scatter", mode: "lines+text", x: [0, p.dur], y: [freq, freq], xaxis: "x", yaxis: "y2",
        line: {color: colour, width: 1.6, dash: "dash"}, text: ["", label], textposition: "top left",
        textfont: {color: colour, size: 11}, hoverinfo: "skip"});
    }
    if (p.hum) hline(p.hum, fmt(S.hum_line, {f: Math.round(p.hum)}), "#00e5ff");
    if (p.bw) hline(p.bw, fmt(S.cutoff_line, {f: (p.bw / 1000).toFixed(1)}), "#ffffff");
    var annotations = [];
    if (p.clip.length) {
      annotations.push({xref: "paper", yref: "y domain", x: 1, y: 1, xanchor: "right", yanchor: "top", showarrow: false,
        text: S.clipped + " ×" + p.clip.length, font: {color: "#c62828", size: 11}, bgcolor: "rgba(255,255,255,0.8)"});
    }
    var layout = {
      height: 300, margin: {l: 56, r: 10, t: 6, b: 34}, showlegend: false, hovermode: "closest",
      plot_bgcolor: "#ffffff", paper_bgcolor: "rgba(0,0,0,0)", shapes: shapes, annotations: annotations,
      xaxis: {anchor: "y2", range: [0, p.dur], title: {text: S.time_axis, standoff: 4}, fixedrange: true},
      yaxis: {domain: [0.56, 1], range: [-yr, yr], zeroline: false, fixedrange: true,
        title: {text: S.waveform, font: {size: 11}}, tickfont: {size: 10}},
      yaxis2: {domain: [0, 0.52], type: "log", fixedrange: true, title: {text: S.spectrogram + " (Hz)", font: {size: 11}},
        tickfont: {size: 10}, range: [Math.log10(p.fmin), Math.log10(p.fmax)]}
    };
    return {data: data, layout: layout};
  }

  function drawClip(div, i) {
    var p = D.pics[String(i)];
    if (!p || div._drawn) return;
    div._drawn = true;
    if (!hasPlotly || typeof DecompressionStream === "undefined") {
      div.innerHTML = '<p class="small">' + esc(S.plot_error) + "</p>";
      return;
    }
    var codes = D.clips[i].f.map(function (f) { return f[0]; });
    inflate(bytesOf(p.spec)).then(function (spec) {
      var fig = clipFigure(p, codes, spec);
      return Plotly.newPlot(div, fig.data, fig.layout, SMALL_CONFIG);
    }).catch(function (err) {
      div.innerHTML = '<p class="small">' + esc(S.plot_error) + "</p>";
      if (window.console) console.warn("voxaudit: clip picture failed", err);
    });
  }

  // ------------------------------------------------------------------------------- flagged clip gallery
  var gallery = document.getElementById("gallery");
  var moreBtn = document.getElementById("gallery-more");
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
      var i = D.gallery[k], c = D.clips[i], row = byIndex[String(i)];
      var card = document.createElement("div");
      card.className = "gcard";
      var path = row ? row.querySelector(".p").textContent : "";
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
    moreBtn.hidden = left <= 0;
    moreBtn.textContent = fmt(S.show_more, {n: Math.min(PAGE, left)});
  }
  if (gallery) {
    moreBtn.addEventListener("click", addCards);
    addCards();
  }

  // --------------------------------------------------------------------------------- set-level figures
  function drawFigure(id, fig) {
    var div = document.getElementById(id);
    if (!div || !fig) return;
    if (!hasPlotly) { div.innerHTML = '<p class="small">' + esc(S.plot_error) + "</p>"; return; }
    Plotly.newPlot(div, fig.data, fig.layout, PLOT_CONFIG).then(function () {
      if (id === "voice-map") {
        div.on("plotly_click", function (ev) {
          if (ev && ev.points && ev.points.length) openClip(ev.points[0].customdata);
        });
      }
    });
  }
  drawFigure("voice-map", D.figs.map);
  drawFigure("similarity-hist", D.figs.hist);
})();
