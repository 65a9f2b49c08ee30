/* voxaudit clip pictures: the waveform (silences, the overlong pause, clipped stretches marked) and the
   log-frequency spectrogram (mains hum and bandwidth cutoff marked) of one clip, drawn with plotly.js from
   the compact data of voxaudit.report.plots.clip_picture_data() (or picture_data()).

   Self-contained and independent of the report page: it needs plotly.js (window.Plotly) only when
   drawing, and the browser's DecompressionStream. The HTML report and the live page of `voxaudit serve`
   both use it:

     VoxauditPlots.drawClipPicture(div, data, {strings: {...}, codes: ["mains_hum", ...]}) -> Promise
     VoxauditPlots.clipFigure(data, spectrogramBytes, options) -> {data: [...], layout: {...}}
     VoxauditPlots.inflate(VoxauditPlots.bytesOf(data.spec)) -> Promise<Uint8Array>  (the spectrogram)

   options.strings: UI text (keys of STRINGS below; English by default); options.codes: the clip's finding
   codes (the overlong pause is shaded orange when "long_pause" is among them). */
(function (root) {
  "use strict";
  var STRINGS = {clipped: "clipped", hum_line: "hum {f} Hz", cutoff_line: "cutoff {f} kHz",
    time_axis: "time (s)", waveform: "waveform", spectrogram: "spectrogram"};
  var CONFIG = {displaylogo: false, responsive: true, displayModeBar: false};
  // Magma, as matplotlib defines it (sampled).
  var MAGMA = [[0, "#000004"], [0.125, "#1c1044"], [0.25, "#4f127b"], [0.375, "#812581"],
    [0.5, "#b5367a"], [0.625, "#e55964"], [0.75, "#fb8761"], [0.875, "#fec287"], [1, "#fcfdbf"]];
  function fmt(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }

  function bytesOf(b64) {
    var bin = atob(b64), out = new Uint8Array(bin.length);
    for (var k = 0; k < bin.length; k++) out[k] = bin.charCodeAt(k);
    return out;
  }
  function inflate(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer().then(function (buf) { return new Uint8Array(buf); });
  }

  function clipFigure(p, spec, options) {
    var S = {};
    var given = (options && options.strings) || {};
    Object.keys(STRINGS).forEach(function (k) { S[k] = k in given ? given[k] : STRINGS[k]; });
    var codes = (options && options.codes) || [];
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
    // Spectrogram: log-spaced band centres from fmin to fmax; columns spread evenly over the clip.
    var nf = p.nf, nt = p.nt, z = new Array(nf), freqs = new Array(nf), edges = new Array(nt + 1);
    var ratio = nf > 1 ? Math.pow(p.fmax / p.fmin, 1 / (nf - 1)) : 1;
    var base = p.top - p.range;
    for (var f = 0; f < nf; f++) {
      freqs[f] = p.fmin * Math.pow(ratio, f);
      var row = new Array(nt);
      for (var c = 0; c < nt; c++) row[c] = base + spec[f * nt + c] * p.step;
      z[f] = row;
    }
    for (var e = 0; e <= nt; e++) edges[e] = e * p.dur / nt;
    data.push({type: "heatmap", x: edges, y: freqs, z: z, zmin: base, zmax: p.top, colorscale: MAGMA,
      showscale: false, xaxis: "x", yaxis: "y2", hovertemplate: "%{x:.2f} s · %{y:.0f} Hz · %{z:.0f} dB<extra></extra>"});
    var annotations = [];
    function hline(freq, label, colour, below) {
      // A dashed line across the spectrogram at freq (Hz), labelled on a dark patch at its left end.
      data.push({type: "scatter", mode: "lines", x: [0, p.dur], y: [freq, freq], xaxis: "x", yaxis: "y2",
        name: label, meta: "mark", line: {color: colour, width: 1.8, dash: "dash"}, hoverinfo: "name"});
      annotations.push({xref: "x", yref: "y2", x: 0, y: Math.log10(freq), xanchor: "left",
        yanchor: below ? "top" : "bottom", showarrow: false, text: label, font: {color: colour, size: 11},
        bgcolor: "rgba(0,0,0,0.65)", borderpad: 2});
    }
    if (p.hum) hline(p.hum, fmt(S.hum_line, {f: Math.round(p.hum)}), "#00e5ff", false);
    if (p.bw) hline(p.bw, fmt(S.cutoff_line, {f: (p.bw / 1000).toFixed(1)}), "#ffffff", true);
    var ticks = [50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000].filter(function (v) {
      return v >= p.fmin * 0.98 && v <= p.fmax * 1.02;
    });
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
        tickfont: {size: 10}, range: [Math.log10(p.fmin), Math.log10(p.fmax)], tickvals: ticks,
        ticktext: ticks.map(function (v) { return v >= 1000 ? v / 1000 + "k" : String(v); })}
    };
    return {data: data, layout: layout};
  }


  function drawClipPicture(div, p, options) {
    // Inflate the spectrogram, build the figure, draw it into div; resolves when drawn.
    return inflate(bytesOf(p.spec)).then(function (spec) {
      var fig = clipFigure(p, spec, options);
      return root.Plotly.newPlot(div, fig.data, fig.layout, CONFIG);
    });
  }

  root.VoxauditPlots = {clipFigure: clipFigure, drawClipPicture: drawClipPicture, inflate: inflate,
    bytesOf: bytesOf, strings: STRINGS, colorscale: MAGMA};
})(window);
