/* voxaudit serve: the recording page. Records with MediaRecorder (browser echo cancellation, noise
   suppression and AGC off), decodes the recording in the browser and uploads it as 16-bit PCM WAV;
   uploads dropped files; shows each take's verdict, findings with hints, pictures and voice match;
   keeps the session's running verdict. Everything comes from this server (no CDN). */
(function () {
  "use strict";
  var CFG = JSON.parse(document.getElementById("vx-config").textContent);
  var lang = CFG.lang;
  // ?lang= in the address wins; otherwise the language last chosen on this page.
  if (!/[?&]lang=/.test(location.search)) {
    try { var saved = localStorage.getItem("voxaudit-lang"); if (saved === "en" || saved === "zh") lang = saved; } catch (e) { /* private mode */ }
  }
  var T, F, CODES;          // page strings, figure strings, finding-code names (current language)
  var takes = [];           // as the server last listed them
  var summary = null;
  var pictures = {};        // take id -> picture data (does not change with the session)
  var cards = {};           // take id -> card element
  var UPLOAD_PARALLEL = 2;

  function $(id) { return document.getElementById(id); }
  function fmt(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function esc(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function mins(v) { return (typeof v === "number" ? v : 0).toFixed(1); }
  function api(path, options) {
    var sep = path.indexOf("?") >= 0 ? "&" : "?";
    return fetch(path + sep + "lang=" + lang, options).then(function (r) {
      return r.json().catch(function () { return {detail: r.statusText}; }).then(function (body) {
        if (!r.ok) { var err = new Error(body.detail || r.statusText); err.status = r.status; err.code = body.code; throw err; }
        return body;
      });
    });
  }

  // ------------------------------------------------------------------------------------- language
  function setLanguage(next) {
    lang = next;
    var all = CFG.strings[lang];
    T = all.page; F = all.figure; CODES = all.codes;
    document.documentElement.lang = lang === "zh" ? "zh-Hans" : "en";
    document.title = T.title;
    Array.prototype.forEach.call(document.querySelectorAll("[data-s]"), function (el) {
      el.textContent = T[el.getAttribute("data-s")] || "";
    });
    $("lang-switch").textContent = T.lang_switch;
    $("drop-note").textContent = fmt(T.drop_note, {mb: Math.round(CFG.maxUploadBytes / 1e6)});
    $("project").textContent = T.project + ": " + CFG.project;
    var downloads = {"dl-keep": "keep.list", "dl-json": "report.json", "dl-html": "report.html"};
    Object.keys(downloads).forEach(function (id) {
      $(id).href = "/report/" + downloads[id] + "?download=1&lang=" + lang;
    });
    setRecordButton();
    // Pictures carry translated labels: draw them again.
    Object.keys(cards).forEach(function (id) { redraw(cards[id].querySelector(".plot")); });
  }
  $("lang-switch").addEventListener("click", function () {
    setLanguage(lang === "zh" ? "en" : "zh");
    try { localStorage.setItem("voxaudit-lang", lang); } catch (e) { /* ignore */ }
    refresh();
  });

  // --------------------------------------------------------------------------------- session view
  function refresh() {
    return api("/api/takes").then(function (body) { show(body.summary, body.takes); })
      .catch(function (err) { $("notices").textContent = T.error + ": " + err.message; });
  }

  function show(sum, list) {
    summary = sum;
    takes = list;
    renderSummary();
    renderTakes();
  }

  function renderSummary() {
    var s = summary, parts = [fmt(T.sum_takes, {n: s.n_takes}),
      fmt(T.sum_minutes, {total: mins(s.total_minutes), usable: mins(s.usable_minutes)})];
    var level = "ok", voice = "";
    if (!s.identity) {
      voice = T.voice_off;
    } else if (s.n_voices === null || s.n_voices === undefined) {
      voice = fmt(T.sum_not_judged, {k: s.min_takes}); level = s.n_takes ? "warn" : "ok";
    } else if (s.n_voices > 1) {
      voice = s.identity_verdict || fmt(T.sum_n_voices, {n: s.n_voices}); level = "bad";
    } else if (s.n_outliers) {
      voice = fmt(T.sum_one_voice_outliers, {k: s.n_outliers}); level = "warn";
    } else {
      voice = T.sum_one_voice;
    }
    parts.push(voice);
    var v = $("verdict");
    v.textContent = parts.join(" · ");
    v.className = "verdict " + level;
    v.setAttribute("data-n-takes", s.n_takes);
    v.setAttribute("data-n-voices", s.n_voices === null || s.n_voices === undefined ? "" : s.n_voices);
    v.setAttribute("data-consistent", String(s.consistent));
    var detail = fmt(T.sum_verdicts, {keep: s.verdicts.keep, check: s.verdicts.check, rerecord: s.verdicts["re-record"]});
    if (s.reference_id) {
      var ref = takes.filter(function (t) { return t.id === s.reference_id; })[0];
      if (ref) detail += " · " + fmt(T.reference, {name: ref.name});
    }
    $("verdict-detail").textContent = detail;
    var notices = (s.notices || []).concat((s.warnings || []).map(function (w) { return w.message; })).join(" ");
    $("notices").textContent = notices;
    $("notices").title = notices;
    var judged = s.identity ? (s.judged_against === "profile" ? T.judged_against_profile : T.judged_against_set) : "";
    if (s.profile_error) judged += " " + fmt(T.profile_error, {e: s.profile_error});
    $("judged").textContent = judged;
    $("profile-clear").hidden = !s.profile_loaded;
    $("no-takes").hidden = s.n_takes > 0;
  }

  function voiceHTML(t) {
    if (!summary.identity) return '<span class="voice off">' + esc(T.voice_off) + "</span>";
    var id = t.identity;
    if (!id) return '<span class="voice pending">' + esc(fmt(T.voice_pending, {k: summary.min_takes, n: summary.n_takes})) + "</span>";
    var sim = typeof id.similarity === "number" ? " (" + fmt(T.similarity, {s: id.similarity.toFixed(2)}) + ")" : "";
    if (id.z === null || id.z === undefined) {
      return '<span class="voice pending" data-voice="pending">' + esc(fmt(T.voice_pending, {k: summary.min_takes, n: summary.n_takes}) + sim) + "</span>";
    }
    if (id.outlier) return '<span class="voice outlier" data-voice="outlier">✕ ' + esc(T.voice_outlier + sim) + "</span>";
    var text = summary.judged_against === "profile" ? T.voice_match_profile : T.voice_match;
    return '<span class="voice match" data-voice="match">✓ ' + esc(text + sim) + "</span>";
  }

  function findingsHTML(t) {
    if (!t.findings.length) return '<p class="small clean">' + esc(T.no_findings) + "</p>";
    return '<ul class="findings">' + t.findings.map(function (f) {
      return '<li class="finding ' + esc(f.severity) + '" data-code="' + esc(f.code) + '"><span class="chip ' + esc(f.severity) + '">' +
        esc(CODES[f.code] || f.code) + "</span> " + esc(f.message) +
        (f.set_wide ? ' <span class="small set-wide">(' + esc(T.set_wide) + ")</span>" : "") +
        (f.hint ? '<div class="hint"><b>' + esc(T.hint) + ":</b> " + esc(f.hint) + "</div>" : "") + "</li>";
    }).join("") + "</ul>";
  }

  function infoHTML(t) {
    var q = Math.round(t.quality), qc = q >= 80 ? "good" : q >= 50 ? "fair" : "poor";
    var when = t.created ? new Date(t.created).toLocaleTimeString() : "";
    var dur = typeof t.duration_s === "number" ? t.duration_s.toFixed(1) + " s" : "";
    return '<div class="thead"><span class="seq">#' + esc(t.seq) + '</span><span class="name" title="' + esc(t.name) + '">' +
      esc(t.name) + '</span><span class="meta small">' + esc([dur, when].filter(Boolean).join(" · ")) + "</span>" +
      '<span class="score ' + qc + '" title="' + esc(T.quality) + '">' + esc(T.quality) + " <b>" + q + "</b></span>" +
      '<span class="badge ' + esc(t.verdict) + '">' + esc(T["verdict_" + t.verdict] || t.verdict) + "</span></div>" +
      '<div class="voice-row">' + esc(T.voice) + ": " + voiceHTML(t) + "</div>" +
      (t.text ? '<p class="small text">“' + esc(t.text) + "”</p>" : "") +
      (t.repaired ? '<p class="small repaired">' + esc(fmt(T.repaired, {reason: t.repaired.reason})) + "</p>" : "") +
      findingsHTML(t);
  }

  function renderTakes() {
    var list = $("take-list"), seen = {};
    var ordered = takes.slice().sort(function (a, b) { return (b.seq || 0) - (a.seq || 0); });
    ordered.forEach(function (t, k) {
      seen[t.id] = true;
      var card = cards[t.id];
      if (!card) {
        card = document.createElement("article");
        card.className = "card take";
        card.setAttribute("data-take-id", t.id);
        card.innerHTML = '<div class="info"></div><div class="plot" aria-label="waveform and spectrogram"></div>' +
          '<div class="row"><audio controls preload="none" src="' + esc(t.audio_url) + '"></audio>' +
          '<span class="small legend"></span><span class="spacer"></span><button type="button" class="delete"></button></div>';
        card.querySelector(".delete").addEventListener("click", function () { removeTake(t.id, t.name); });
        cards[t.id] = card;
        observe(card.querySelector(".plot"), t.id);
      }
      card.setAttribute("data-verdict", t.verdict);
      card.setAttribute("data-outlier", t.identity && t.identity.outlier ? "1" : "0");
      card.setAttribute("data-quality", String(t.quality));
      card.querySelector(".info").innerHTML = infoHTML(t);
      card.querySelector(".delete").textContent = T.delete;
      card.querySelector(".legend").textContent = T.legend;
      card._codes = t.findings.map(function (f) { return f.code; });
      if (list.children[k] !== card) list.insertBefore(card, list.children[k] || null);
    });
    Object.keys(cards).forEach(function (id) {
      if (!seen[id]) { cards[id].parentNode && cards[id].parentNode.removeChild(cards[id]); delete cards[id]; delete pictures[id]; }
    });
  }

  // ------------------------------------------------------------------------------------- pictures
  var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (e) { if (e.isIntersecting) drawPicture(e.target); });
  }, {rootMargin: "300px 0px"}) : null;
  function redraw(div) {
    if (window.Plotly && div.getAttribute("data-drawn")) window.Plotly.purge(div);
    div._drawn = false;
    div.removeAttribute("data-drawn");
    div.innerHTML = "";
    // Observing again reports whether it is in view now, so visible pictures are drawn at once.
    if (observer) { observer.unobserve(div); observer.observe(div); } else drawPicture(div);
  }
  function observe(div, id) {
    div._id = id;
    if (observer) observer.observe(div); else drawPicture(div);
  }
  function drawPicture(div) {
    if (div._drawn || !div.isConnected) return;
    div._drawn = true;
    var id = div._id;
    div.innerHTML = '<p class="small">' + esc(T.picture_loading) + "</p>";
    var got = pictures[id] ? Promise.resolve(pictures[id]) : api("/api/takes/" + id).then(function (t) {
      pictures[id] = t.picture; return t.picture;
    });
    got.then(function (p) {
      if (!p) throw new Error("no picture data");
      div.innerHTML = "";
      var card = cards[id];
      // The report's drawing code (voxaudit/report/html_assets/plots.js), so both pictures match.
      return window.VoxauditPlots.drawClipPicture(div, p, {strings: F, codes: card ? card._codes : []});
    }).then(function () {
      div.setAttribute("data-drawn", "1");
    }).catch(function (err) {
      div.innerHTML = '<p class="small">' + esc(T.picture_failed) + "</p>";
      if (window.console) console.warn("voxaudit: picture failed", err);
    });
  }

  // -------------------------------------------------------------------------------------- uploads
  var queue = [], running = 0;
  function enqueue(file, fields) {
    var item = {file: file, fields: fields || {}, el: document.createElement("div")};
    item.el.className = "card pending";
    item.el.setAttribute("data-pending", file.name);
    item.el.innerHTML = '<span class="name">' + esc(file.name) + '</span> <span class="state small">' + esc(T.uploading) + "</span>";
    $("pending").appendChild(item.el);
    queue.push(item);
    pump();
  }
  function pump() {
    while (running < UPLOAD_PARALLEL && queue.length) {
      var item = queue.shift();
      running++;
      upload(item).then(function () { running--; pump(); });
    }
  }
  function upload(item) {
    if (item.file.size > CFG.maxUploadBytes) {
      failed(item, fmt("{n} MB > {mb} MB", {n: (item.file.size / 1e6).toFixed(1), mb: Math.round(CFG.maxUploadBytes / 1e6)}), "too_large");
      return Promise.resolve();
    }
    var form = new FormData();
    Object.keys(item.fields).forEach(function (k) { if (item.fields[k]) form.append(k, item.fields[k]); });
    form.append("file", item.file, item.file.name);
    item.el.querySelector(".state").textContent = T.analysing;
    return api("/api/takes", {method: "POST", body: form}).then(function (body) {
      item.el.parentNode.removeChild(item.el);
      if (body.take.picture) pictures[body.take.id] = body.take.picture;
      return refresh();
    }).catch(function (err) { failed(item, err.message, err.code); });
  }
  function failed(item, message, code) {
    item.el.className = "card pending failed";
    item.el.setAttribute("data-error", code || "error");
    item.el.innerHTML = '<span class="name">' + esc(item.file.name) + '</span> <b class="err">' + esc(T.upload_failed) +
      ":</b> " + esc(message) + ' <button type="button" class="linkish">' + esc(T.dismiss) + "</button>";
    item.el.querySelector("button").addEventListener("click", function () { item.el.parentNode.removeChild(item.el); });
  }
  function addFiles(files) {
    Array.prototype.forEach.call(files, function (f) { enqueue(f, {source: "upload"}); });
  }
  var drop = $("dropzone");
  ["dragenter", "dragover"].forEach(function (n) {
    drop.addEventListener(n, function (ev) { ev.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (n) {
    drop.addEventListener(n, function (ev) { ev.preventDefault(); drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (ev) { if (ev.dataTransfer && ev.dataTransfer.files) addFiles(ev.dataTransfer.files); });
  $("file-input").addEventListener("change", function (ev) { addFiles(ev.target.files); ev.target.value = ""; });

  function removeTake(id, name) {
    if (!window.confirm(fmt(T.delete_confirm, {name: name}))) return;
    api("/api/takes/" + id, {method: "DELETE"}).then(function () { return refresh(); })
      .catch(function (err) { $("notices").textContent = T.error + ": " + err.message; });
  }

  // -------------------------------------------------------------------------------------- profile
  $("profile-input").addEventListener("change", function (ev) {
    var file = ev.target.files[0];
    ev.target.value = "";
    if (!file) return;
    var form = new FormData();
    form.append("file", file, file.name);
    api("/api/profile", {method: "PUT", body: form}).then(refresh)
      .catch(function (err) { $("judged").textContent = fmt(T.profile_error, {e: err.message}); });
  });
  $("profile-clear").addEventListener("click", function () { api("/api/profile", {method: "DELETE"}).then(refresh); });

  // ------------------------------------------------------------------------------------ recording
  var rec = null;   // {stream, recorder, chunks, started, timer, ctx}
  function setRecordButton() {
    var b = $("record");
    b.textContent = rec ? T.record_stop : T.record_start;
    b.classList.toggle("recording", !!rec);
  }
  function pickMime() {
    // Lossless first where the browser offers it; decoded to PCM below either way.
    var prefs = ["audio/webm;codecs=pcm", "audio/ogg;codecs=opus", "audio/webm;codecs=opus", "audio/webm", "audio/mp4"];
    if (!window.MediaRecorder || !MediaRecorder.isTypeSupported) return "";
    for (var k = 0; k < prefs.length; k++) if (MediaRecorder.isTypeSupported(prefs[k])) return prefs[k];
    return "";
  }
  function startRecording() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.MediaRecorder) {
      $("rec-status").textContent = T.record_unsupported;
      return;
    }
    // The guide's rule: no automatic gain, no noise suppression. Browsers apply both by default.
    navigator.mediaDevices.getUserMedia({audio: {echoCancellation: false, noiseSuppression: false, autoGainControl: false}})
      .then(function (stream) {
        var mime = pickMime();
        var recorder = new MediaRecorder(stream, mime ? {mimeType: mime} : undefined);
        rec = {stream: stream, recorder: recorder, chunks: [], started: Date.now()};
        recorder.ondataavailable = function (ev) { if (ev.data && ev.data.size) rec.chunks.push(ev.data); };
        recorder.onstop = finishRecording;
        recorder.start(250);
        meter(stream);
        rec.timer = setInterval(function () {
          $("rec-status").textContent = fmt(T.recording, {s: ((Date.now() - rec.started) / 1000).toFixed(1)});
        }, 100);
        $("rec-status").setAttribute("data-state", "recording");
        setRecordButton();
      }).catch(function (err) {
        $("rec-status").textContent = fmt(T.record_denied, {e: err.message || err.name});
      });
  }
  function meter(stream) {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var analyser = ctx.createAnalyser();
      analyser.fftSize = 2048;
      ctx.createMediaStreamSource(stream).connect(analyser);
      var data = new Float32Array(analyser.fftSize);
      rec.ctx = ctx;
      (function tick() {
        if (!rec || rec.ctx !== ctx) return;
        analyser.getFloatTimeDomainData(data);
        var peak = 0;
        for (var k = 0; k < data.length; k++) peak = Math.max(peak, Math.abs(data[k]));
        var fill = $("meter-fill");
        fill.style.width = Math.min(100, peak * 100).toFixed(0) + "%";
        fill.className = peak > 0.98 ? "clip" : peak > 0.5 ? "hot" : "";
        requestAnimationFrame(tick);
      })();
    } catch (e) { /* the meter is a nicety */ }
  }
  function stopRecording() {
    if (!rec) return;
    clearInterval(rec.timer);
    $("rec-status").textContent = T.analysing;
    rec.recorder.stop();
  }
  function finishRecording() {
    var r = rec;
    rec = null;
    setRecordButton();
    $("meter-fill").style.width = "0";
    r.stream.getTracks().forEach(function (track) { track.stop(); });
    if (r.ctx) r.ctx.close();
    var type = r.recorder.mimeType || "audio/webm";
    var blob = new Blob(r.chunks, {type: type});
    var stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
    var text = $("take-text").value.trim();
    toWav(blob).then(function (wav) {
      return new File([wav], "mic-" + stamp + ".wav", {type: "audio/wav"});
    }).catch(function () {
      // The browser could not decode its own recording: let the server try (it reads Ogg/Opus).
      return new File([blob], "mic-" + stamp + (type.indexOf("ogg") >= 0 ? ".ogg" : ".webm"), {type: type});
    }).then(function (file) {
      $("rec-status").textContent = "";
      $("rec-status").setAttribute("data-state", "uploaded");
      $("take-text").value = "";
      enqueue(file, {source: "microphone", text: text});
    });
  }
  function toWav(blob) {
    // Decode at the recording's own rate (Opus runs at 48 kHz), then write 16-bit PCM WAV.
    return blob.arrayBuffer().then(function (buf) {
      var Offline = window.OfflineAudioContext || window.webkitOfflineAudioContext;
      var ctx = new Offline(1, 1, 48000);
      return ctx.decodeAudioData(buf);
    }).then(function (audio) { return encodeWav(audio); });
  }
  function encodeWav(audio) {
    var channels = audio.numberOfChannels, n = audio.length, rate = audio.sampleRate;
    var bytes = 44 + n * channels * 2, view = new DataView(new ArrayBuffer(bytes));
    function str(off, s) { for (var k = 0; k < s.length; k++) view.setUint8(off + k, s.charCodeAt(k)); }
    str(0, "RIFF"); view.setUint32(4, bytes - 8, true); str(8, "WAVE");
    str(12, "fmt "); view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, channels, true);
    view.setUint32(24, rate, true); view.setUint32(28, rate * channels * 2, true);
    view.setUint16(32, channels * 2, true); view.setUint16(34, 16, true);
    str(36, "data"); view.setUint32(40, n * channels * 2, true);
    var data = [];
    for (var c = 0; c < channels; c++) data.push(audio.getChannelData(c));
    var off = 44;
    for (var i = 0; i < n; i++) {
      for (c = 0; c < channels; c++) {
        var v = Math.max(-1, Math.min(1, data[c][i]));
        view.setInt16(off, v < 0 ? Math.round(v * 32768) : Math.round(v * 32767), true);
        off += 2;
      }
    }
    return new Blob([view.buffer], {type: "audio/wav"});
  }
  $("record").addEventListener("click", function () { if (rec) stopRecording(); else startRecording(); });

  // ---------------------------------------------------------------------------------------- start
  setLanguage(lang);
  // plotly.min.js and plots.js are deferred scripts before this one, so they have run already.
  refresh().then(function () { document.body.setAttribute("data-ready", "1"); });
})();

// ----------------------------------------------------------------------------- recording script
// voxaudit serve --script: show the next sentence to read above the record button and put it into the
// take's text. The session re-renders the verdict after every change; this block follows that.
(function () {
  var box = document.getElementById("script-box");
  var text = document.getElementById("take-text");
  var noText = document.getElementById("script-no-text");
  var shown = null;
  function uiLang() { return /^zh/.test(document.documentElement.getAttribute("lang") || "") ? "zh" : "en"; }
  function update() {
    fetch("/api/script?lang=" + uiLang()).then(function (r) { return r.ok ? r.json() : null; }).then(function (s) {
      if (!s) return;
      noText.hidden = !s.no_text;
      noText.textContent = s.no_text || "";
      if (!s.n_sentences) return;
      box.hidden = false;
      document.getElementById("script-heading").textContent = s.heading;
      document.getElementById("script-sentence").textContent = s.next_sentence || "";
      box.setAttribute("data-next-index", s.next_index === null ? "" : s.next_index);
      // Fill the take's text with the sentence, unless the user typed something else.
      if (!text.value || text.value === shown) text.value = s.next_sentence || "";
      shown = s.next_sentence;
    }).catch(function () { /* the takes view reports connection problems */ });
  }
  var verdict = document.getElementById("verdict");
  if ("MutationObserver" in window) {
    new MutationObserver(update).observe(verdict, {attributes: true, attributeFilter: ["data-n-takes"], childList: true});
  }
  update();
})();
