// MonarchLogs viewer. Plain JavaScript, no build step. Every value that comes from the store is
// put on the page with textContent or as a property of an element created here, never as HTML:
// a message that holds <script> or <img onerror> shows as text and runs nothing. Log text goes
// through appendLogText, which shows control characters and bidi overrides as marked tokens.
(function () {
  'use strict';

  var LEVELS = ['Trace', 'Debug', 'Information', 'Warning', 'Error', 'Critical'];
  var LEVEL_KEYS = { Trace: 'trace', Debug: 'debug', Information: 'information', Warning: 'warning', Error: 'error', Critical: 'critical' };
  var QUICK_RANGES = ['-15min', '-1h', '-24h', '-7d'];
  var DEFAULT_SINCE = '-24h';
  var PAGE_SIZE = 100;
  var MAX_ROWS = 5000;
  var STATS_REFRESH_MS = 5000;

  var state = readStateFromUrl();
  var knownLevels = [];
  var knownServices = [];
  var nextCursor = null;
  var rowCount = 0;
  var generation = 0;
  var pageAbort = null;
  var source = null;
  var lastStats = null;
  var statsTimer = null;

  function $(id) { return document.getElementById(id); }

  // Creates an element; text goes in through textContent only.
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function levelKey(level) { return LEVEL_KEYS[level] || 'information'; }

  // ---- Log text: display is not data -------------------------------------------------------

  // Characters that would make the page show something other than the text: bidi controls
  // (a right-to-left override shows "fdp.exe" as "exe.pdf"), a CR not followed by LF, the
  // other C0 and C1 controls and DEL. Tab, LF and CR LF stay as they are.
  var DECEPTIVE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]|\r(?!\n)/g;
  var CHARACTER_NAMES = {
    '\r': 'CARRIAGE RETURN', '\u0000': 'NULL', '\u001B': 'ESCAPE', '\u007F': 'DELETE', '\u0085': 'NEXT LINE',
    '\u061C': 'ARABIC LETTER MARK', '\u200E': 'LEFT-TO-RIGHT MARK', '\u200F': 'RIGHT-TO-LEFT MARK',
    '\u202A': 'LEFT-TO-RIGHT EMBEDDING', '\u202B': 'RIGHT-TO-LEFT EMBEDDING', '\u202C': 'POP DIRECTIONAL FORMATTING',
    '\u202D': 'LEFT-TO-RIGHT OVERRIDE', '\u202E': 'RIGHT-TO-LEFT OVERRIDE', '\u2066': 'LEFT-TO-RIGHT ISOLATE',
    '\u2067': 'RIGHT-TO-LEFT ISOLATE', '\u2068': 'FIRST STRONG ISOLATE', '\u2069': 'POP DIRECTIONAL ISOLATE'
  };

  function escapeCode(ch) {
    var hex = ch.charCodeAt(0).toString(16).toUpperCase();
    return '\\u' + '0000'.substring(hex.length) + hex;
  }

  // The text with each such character written as \uXXXX, for places that take a plain string (a title).
  function visibleString(text) { return String(text).replace(DECEPTIVE, escapeCode); }

  // Appends log text to a node: plain runs as text nodes, each such character as a marked
  // <span class="ctl"> holding its \uXXXX code. The downloads and Copy as JSON keep the exact text.
  function appendLogText(node, text) {
    var s = String(text);
    var last = 0;
    var match;
    DECEPTIVE.lastIndex = 0;
    while ((match = DECEPTIVE.exec(s)) !== null) {
      if (match.index > last) node.appendChild(document.createTextNode(s.substring(last, match.index)));
      var mark = el('span', 'ctl', escapeCode(match[0]));
      var name = CHARACTER_NAMES[match[0]];
      mark.title = 'U+' + escapeCode(match[0]).substring(2) + (name ? ' ' + name : ' control character') + ' (shown, not applied)';
      node.appendChild(mark);
      last = match.index + match[0].length;
    }
    if (last < s.length) node.appendChild(document.createTextNode(s.substring(last)));
    return node;
  }

  // An element holding log text.
  function logEl(tag, className, text) {
    var node = el(tag, className);
    if (text !== undefined && text !== null) appendLogText(node, text);
    return node;
  }

  // ---- State and the URL -------------------------------------------------------------------

  function splitValues(values) {
    var out = [];
    values.forEach(function (v) {
      String(v).split(',').forEach(function (part) {
        var t = part.trim();
        if (t && out.indexOf(t) < 0) out.push(t);
      });
    });
    return out;
  }

  function readStateFromUrl() {
    var p = new URLSearchParams(window.location.search);
    var s = {
      since: p.get('since') || '',
      until: p.get('until') || '',
      all: p.get('range') === 'all',
      levels: splitValues(p.getAll('level')).map(normalizeLevel),
      services: splitValues(p.getAll('service')),
      q: p.get('q') || '',
      category: p.get('category') || '',
      utc: p.get('tz') === 'utc',
      live: p.get('live') === '1'
    };
    if (s.all) { s.since = ''; s.until = ''; }
    if (!s.since && !s.until && !s.all) s.since = DEFAULT_SINCE;
    return s;
  }

  function normalizeLevel(name) {
    var lower = name.toLowerCase();
    for (var i = 0; i < LEVELS.length; i++) {
      if (LEVELS[i].toLowerCase() === lower) return LEVELS[i];
    }
    return name;
  }

  // The filters as API parameters; the page's own URL adds its view settings.
  function filterParams(forPage) {
    var p = new URLSearchParams();
    if (state.since) p.set('since', state.since);
    if (state.until) p.set('until', state.until);
    state.levels.forEach(function (l) { p.append('level', l); });
    state.services.forEach(function (s) { p.append('service', s); });
    if (state.q) p.set('q', state.q);
    if (state.category) p.set('category', state.category);
    if (forPage) {
      if (state.all) p.set('range', 'all');
      if (state.utc) p.set('tz', 'utc');
      if (state.live) p.set('live', '1');
    }
    return p;
  }

  function writeUrl(push) {
    var query = filterParams(true).toString();
    var url = window.location.pathname + (query ? '?' + query : '');
    if (url === window.location.pathname + window.location.search) return;
    if (push) window.history.pushState(null, '', url);
    else window.history.replaceState(null, '', url);
  }

  function isIsoTime(text) { return /^\d{4}-\d{2}-\d{2}T/.test(text) && !isNaN(Date.parse(text)); }

  // ---- Time formatting ---------------------------------------------------------------------

  function pad(n, width) { var s = String(n); while (s.length < (width || 2)) s = '0' + s; return s; }

  function formatTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    if (state.utc) return iso.replace('T', ' ').replace(/(\.\d{3})\d*/, '$1').replace('Z', '');
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
  }

  function toLocalInput(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return '';
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  function fromLocalInput(value) {
    if (!value) return '';
    var d = new Date(value);
    return isNaN(d.getTime()) ? '' : d.toISOString();
  }

  function shortTick(date, intervalSeconds, spanSeconds) {
    var useUtc = state.utc;
    var h = useUtc ? date.getUTCHours() : date.getHours();
    var m = useUtc ? date.getUTCMinutes() : date.getMinutes();
    var s = useUtc ? date.getUTCSeconds() : date.getSeconds();
    var mo = (useUtc ? date.getUTCMonth() : date.getMonth()) + 1;
    var day = useUtc ? date.getUTCDate() : date.getDate();
    if (intervalSeconds >= 86400) return pad(mo) + '-' + pad(day);
    var clock = pad(h) + ':' + pad(m) + (intervalSeconds < 60 ? ':' + pad(s) : '');
    return spanSeconds > 86400 ? pad(mo) + '-' + pad(day) + ' ' + clock : clock;
  }

  // ---- API ---------------------------------------------------------------------------------

  function ApiError(message) { this.message = message; }

  function getJson(path, params, signal) {
    var url = path + (params && params.toString() ? '?' + params.toString() : '');
    return fetch(url, { signal: signal, headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (response) {
        if (response.ok) return response.json();
        return response.json().then(function (problem) {
          var text = (problem.title || ('HTTP ' + response.status)) + (problem.detail ? ': ' + problem.detail : '');
          if (problem.errorId) text += ' [' + problem.errorId + ']';
          throw new ApiError(text);
        }, function () { throw new ApiError('HTTP ' + response.status + ' ' + response.statusText); });
      });
  }

  function showError(message) {
    var box = $('error');
    box.textContent = message || '';
    box.hidden = !message;
  }

  // ---- Filters: levels and services from the store -----------------------------------------

  function renderChecks(containerId, name, values, selected, labelFor) {
    var container = $(containerId);
    container.replaceChildren();
    var all = values.slice();
    selected.forEach(function (v) { if (all.indexOf(v) < 0) all.push(v); });
    if (all.length === 0) {
      container.appendChild(el('span', 'none', name === 'service' ? 'No services yet' : 'No levels yet'));
      return;
    }
    all.forEach(function (value) {
      var label = el('label');
      var box = el('input');
      box.type = 'checkbox';
      box.name = name;
      box.value = value;
      box.checked = selected.indexOf(value) >= 0;
      box.addEventListener('change', onChecksChanged);
      label.appendChild(box);
      label.appendChild(labelFor(value));
      container.appendChild(label);
    });
  }

  function levelLabel(level) {
    var span = el('span', 'badge bg-' + levelKey(level), level);
    return span;
  }

  function plainLabel(text) { return logEl('span', 'logtext', text); }

  function renderFilterLists() {
    var levels = LEVELS.filter(function (l) { return knownLevels.indexOf(l) >= 0; });
    renderChecks('levels', 'level', levels, state.levels, levelLabel);
    renderChecks('services', 'service', knownServices, state.services, plainLabel);
  }

  function loadCatalogs() {
    return Promise.all([getJson('api/levels'), getJson('api/services')]).then(function (results) {
      knownLevels = results[0].levels || [];
      knownServices = results[1].services || [];
      renderFilterLists();
    });
  }

  function checkedValues(name) {
    return Array.prototype.map.call(document.querySelectorAll('input[name="' + name + '"]:checked'), function (box) { return box.value; });
  }

  function onChecksChanged() {
    state.levels = checkedValues('level');
    state.services = checkedValues('service');
    apply(true);
  }

  function renderRangeControls() {
    var mode = state.all ? 'all' : (!state.until && QUICK_RANGES.indexOf(state.since) >= 0 ? state.since : 'custom');
    Array.prototype.forEach.call($('quick').querySelectorAll('button'), function (button) {
      button.setAttribute('aria-pressed', button.getAttribute('data-since') === mode ? 'true' : 'false');
    });
    $('custom').hidden = mode !== 'custom';
    $('since').value = isIsoTime(state.since) ? toLocalInput(state.since) : '';
    $('until').value = isIsoTime(state.until) ? toLocalInput(state.until) : '';
    var notes = [];
    if (state.since && !isIsoTime(state.since) && mode === 'custom') notes.push('from ' + visibleString(state.since));
    if (state.until && !isIsoTime(state.until)) notes.push('to ' + visibleString(state.until));
    $('custom-hint').textContent = notes.join(', ');
  }

  function renderControls() {
    renderRangeControls();
    renderFilterLists();
    $('q').value = state.q;
    $('category').value = state.category;
    $('utc').checked = state.utc;
    $('live').checked = state.live;
    $('live').disabled = !!state.until;
    $('live').parentNode.title = state.until ? 'Live tail needs a range that runs to now (no end time)' : 'Show new entries as they are written';
    $('time-head').textContent = state.utc ? 'Time (UTC)' : 'Time (local)';
  }

  // ---- Loading -----------------------------------------------------------------------------

  function apply(push) {
    writeUrl(push);
    renderControls();
    reload();
  }

  function updateDownloads() {
    var p = filterParams(false);
    var query = p.toString() ? '?' + p.toString() : '';
    $('download-csv').href = 'api/logs.csv' + query;
    $('download-json').href = 'api/logs.json' + query;
  }

  function reload() {
    generation++;
    var mine = generation;
    stopLive();
    if (pageAbort) pageAbort.abort();
    pageAbort = new AbortController();
    document.body.setAttribute('data-loading', '1');
    showError('');
    clearRows();
    updateDownloads();
    var params = filterParams(false);
    params.set('limit', String(PAGE_SIZE));
    var page = getJson('api/logs', params, pageAbort.signal).then(function (result) {
      if (mine !== generation) return;
      appendEntries(result.entries, false);
      nextCursor = result.next;
      updateMore();
    });
    var stats = loadStats(mine);
    var catalogs = loadCatalogs().catch(function () { /* the page and stats report store errors */ });
    Promise.all([page, stats, catalogs]).then(function () {
      if (mine !== generation) return;
      document.body.setAttribute('data-loading', '0');
      if (state.live && !state.until) startLive();
    }, function (error) {
      if (mine !== generation || (error && error.name === 'AbortError')) return;
      showError(error && error.message ? error.message : String(error));
      document.body.setAttribute('data-loading', '0');
    });
  }

  function loadMore() {
    if (!nextCursor) return;
    var mine = generation;
    var params = filterParams(false);
    params.set('limit', String(PAGE_SIZE));
    params.set('after', nextCursor);
    $('load-more').disabled = true;
    getJson('api/logs', params, pageAbort ? pageAbort.signal : undefined).then(function (result) {
      if (mine !== generation) return;
      appendEntries(result.entries, false);
      nextCursor = result.next;
      updateMore();
    }, function (error) {
      if (error && error.name === 'AbortError') return;
      showError(error.message || String(error));
    }).then(function () { $('load-more').disabled = false; });
  }

  function updateMore() {
    $('load-more').hidden = !nextCursor;
    $('empty').hidden = rowCount > 0;
    var parts = [rowCount.toLocaleString() + (rowCount === 1 ? ' entry' : ' entries') + ', newest first'];
    if (nextCursor) parts.push('more available');
    $('summary').textContent = parts.join(' · ');
  }

  // ---- The table ---------------------------------------------------------------------------

  function clearRows() {
    $('rows').replaceChildren();
    rowCount = 0;
    nextCursor = null;
    $('load-more').hidden = true;
    $('empty').hidden = true;
    $('summary').textContent = '';
  }

  function appendEntries(entries, fresh) {
    var body = $('rows');
    if (fresh) {
      // Live entries come oldest first; each new one goes on top.
      entries.forEach(function (entry) { body.insertBefore(renderRow(entry, true), body.firstChild); });
    } else {
      var fragment = document.createDocumentFragment();
      entries.forEach(function (entry) { fragment.appendChild(renderRow(entry, false)); });
      body.appendChild(fragment);
    }
    rowCount += entries.length;
    trimRows();
    updateMore();
  }

  // A long live tail keeps the newest MAX_ROWS; "Load more" then continues from the oldest kept.
  function trimRows() {
    var body = $('rows');
    while (rowCount > MAX_ROWS) {
      var last = body.lastElementChild;
      if (!last) break;
      if (last.classList.contains('detail')) { body.removeChild(last); continue; }
      body.removeChild(last);
      rowCount--;
      var rows = body.querySelectorAll('tr.row');
      var oldest = rows.length ? rows[rows.length - 1] : null;
      nextCursor = oldest ? oldest.getAttribute('data-id') : null;
    }
  }

  function renderRow(entry, fresh) {
    var key = levelKey(entry.level);
    var tr = el('tr', 'row lv-' + key + (fresh ? ' fresh' : ''));
    tr.tabIndex = 0;
    tr.setAttribute('data-id', entry.id || '');
    tr.setAttribute('aria-expanded', 'false');
    var time = el('td', 'time', formatTime(entry.timestamp));
    time.title = entry.timestamp;
    var level = el('td', 'level');
    level.appendChild(el('span', 'badge bg-' + key, entry.level));
    var service = logEl('td', 'service logtext', entry.service);
    service.title = visibleString(entry.service);
    var category = logEl('td', 'category logtext', entry.category);
    category.title = visibleString(entry.category);
    var message = el('td', 'msg');
    message.appendChild(logEl('span', 'msg-text logtext', entry.message));
    if (entry.exception || entry.exceptionType) message.appendChild(logEl('span', 'ex-tag logtext', entry.exceptionType ? shortType(entry.exceptionType) : 'exception'));
    tr.appendChild(time);
    tr.appendChild(level);
    tr.appendChild(service);
    tr.appendChild(category);
    tr.appendChild(message);
    tr.addEventListener('click', function (event) {
      if (window.getSelection && String(window.getSelection()).length > 0 && event.detail < 2) return;
      toggleDetail(tr, entry);
    });
    tr.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); toggleDetail(tr, entry); }
    });
    return tr;
  }

  function shortType(type) {
    var dot = type.lastIndexOf('.');
    return dot >= 0 ? type.substring(dot + 1) : type;
  }

  function toggleDetail(tr, entry) {
    var next = tr.nextElementSibling;
    if (next && next.classList.contains('detail')) {
      next.parentNode.removeChild(next);
      tr.classList.remove('open');
      tr.setAttribute('aria-expanded', 'false');
      return;
    }
    var detail = el('tr', 'detail');
    var cell = el('td');
    cell.colSpan = 5;
    cell.appendChild(renderDetail(entry));
    detail.appendChild(cell);
    tr.parentNode.insertBefore(detail, tr.nextSibling);
    tr.classList.add('open');
    tr.setAttribute('aria-expanded', 'true');
  }

  function prettyProperties(text) {
    if (!text) return '';
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (e) {
      return text;
    }
  }

  function renderDetail(entry) {
    var wrap = el('div');
    var grid = el('dl', 'detail-grid');
    function add(label, value, block) {
      if (value === undefined || value === null || value === '') return;
      grid.appendChild(el('dt', null, label));
      var dd = el('dd', 'logtext');
      if (block) dd.appendChild(logEl('pre', null, value));
      else appendLogText(dd, value);
      dd.setAttribute('data-field', label);
      grid.appendChild(dd);
    }
    add('Time (UTC)', entry.timestamp);
    add('Level', entry.level);
    add('Service', entry.service);
    add('Category', entry.category);
    add('Host', entry.host);
    add('Event', entry.eventId ? entry.eventId + (entry.eventName ? ' ' + entry.eventName : '') : entry.eventName);
    add('Message', entry.message, true);
    add('Template', entry.template);
    add('Exception type', entry.exceptionType);
    add('Exception message', entry.exceptionMessage);
    add('Exception', entry.exception, true);
    add('Trace id', entry.traceId);
    add('Span id', entry.spanId);
    add('Properties', prettyProperties(entry.properties), true);
    add('Id', entry.id);
    wrap.appendChild(grid);
    var actions = el('div', 'detail-actions');
    var copy = el('button', null, 'Copy as JSON');
    copy.type = 'button';
    copy.addEventListener('click', function (event) {
      event.stopPropagation();
      var text = JSON.stringify(entry, null, 2);
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { copy.textContent = 'Copied'; }, function () { copy.textContent = 'Copy failed'; });
      }
    });
    actions.appendChild(copy);
    wrap.appendChild(actions);
    wrap.addEventListener('click', function (event) { event.stopPropagation(); });
    return wrap;
  }

  // ---- Live tail ---------------------------------------------------------------------------

  function setStatus(text, kind) {
    var status = $('status');
    status.textContent = text;
    status.className = 'status' + (kind ? ' ' + kind : '');
  }

  function startLive() {
    stopLive();
    var params = filterParams(false);
    params.delete('until');
    var newest = $('rows').querySelector('tr.row');
    // Continue after the newest entry shown, so nothing written meanwhile is missed.
    if (newest && newest.getAttribute('data-id')) params.set('after', newest.getAttribute('data-id'));
    else params.set('backlog', '1000');
    setStatus('Connecting…', 'warn');
    document.body.setAttribute('data-live', 'connecting');
    var es = new EventSource('api/stream?' + params.toString());
    source = es;
    es.addEventListener('ready', function () {
      if (source !== es) return;
      setStatus('Live', 'live');
      document.body.setAttribute('data-live', 'on');
    });
    es.addEventListener('gap', function () {
      if (source !== es) return;
      showError('The live tail skipped some entries written while it was disconnected; reload to see them all.');
    });
    es.addEventListener('store', function (event) {
      if (source !== es) return;
      var info = JSON.parse(event.data);
      if (info.connected) setStatus('Live', 'live');
      else setStatus('Log store unreachable, retrying…', 'warn');
    });
    es.onmessage = function (event) {
      if (source !== es) return;
      var entry;
      try { entry = JSON.parse(event.data); } catch (e) { return; }
      appendEntries([entry], true);
      scheduleStatsRefresh();
    };
    es.onerror = function () {
      if (source !== es) return;
      document.body.setAttribute('data-live', 'connecting');
      if (es.readyState !== EventSource.CLOSED) {
        setStatus('Reconnecting…', 'warn');
        return;
      }
      // The server refused the stream (an error status): the browser gives up, so try again later.
      setStatus('Live tail interrupted, retrying…', 'warn');
      var mine = generation;
      setTimeout(function () {
        if (source === es && mine === generation && state.live) startLive();
      }, 5000);
    };
  }

  function stopLive() {
    if (source) { source.close(); source = null; }
    if (statsTimer) { clearTimeout(statsTimer); statsTimer = null; }
    setStatus('', '');
    document.body.setAttribute('data-live', 'off');
  }

  function scheduleStatsRefresh() {
    if (statsTimer) return;
    var mine = generation;
    statsTimer = setTimeout(function () {
      statsTimer = null;
      if (mine === generation) loadStats(mine).catch(function () { });
    }, STATS_REFRESH_MS);
  }

  // ---- Chart -------------------------------------------------------------------------------

  function loadStats(mine) {
    return getJson('api/stats', filterParams(false), pageAbort ? pageAbort.signal : undefined).then(function (stats) {
      if (mine !== generation) return;
      lastStats = stats;
      drawChart();
      renderLegend();
    });
  }

  function cssVar(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }

  function renderLegend() {
    var legend = $('legend');
    legend.replaceChildren();
    var note = $('chart-note');
    if (!lastStats) { note.textContent = ''; return; }
    LEVELS.forEach(function (level) {
      var count = lastStats.totals ? lastStats.totals[level] || 0 : 0;
      if (!count) return;
      var item = el('span');
      item.appendChild(el('span', 'swatch bg-' + levelKey(level)));
      item.appendChild(document.createTextNode(level + ' ' + count.toLocaleString()));
      legend.appendChild(item);
    });
    var text = lastStats.total.toLocaleString() + (lastStats.total === 1 ? ' entry' : ' entries') + ' · one bar = ' + lastStats.interval;
    if (lastStats.capped) text += ' · counted the newest entries only; complete from ' + formatTime(lastStats.completeSince);
    note.textContent = text;
  }

  function chartGeometry(canvas) {
    return { left: 46, right: 8, top: 10, bottom: 24, width: canvas.clientWidth, height: canvas.clientHeight };
  }

  // A step of 1, 2 or 5 times a power of ten, never below one entry, so every gridline is a whole count.
  function niceStep(max, lines) {
    var raw = Math.max(1, max / lines);
    var power = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = power >= 10 ? [1, 2, 2.5, 5, 10] : [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      if (steps[i] * power >= raw) return steps[i] * power;
    }
    return 10 * power;
  }

  function drawChart() {
    var canvas = $('chart');
    var g = chartGeometry(canvas);
    var ratio = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(g.width * ratio));
    canvas.height = Math.max(1, Math.round(g.height * ratio));
    var ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, g.width, g.height);
    if (!lastStats || !lastStats.buckets || lastStats.buckets.length === 0) return;

    var buckets = lastStats.buckets;
    var levels = lastStats.levels;
    var max = 0;
    buckets.forEach(function (b) {
      var sum = b.counts.reduce(function (a, c) { return a + c; }, 0);
      if (sum > max) max = sum;
    });
    var step = niceStep(max, 4);
    var lines = Math.max(1, Math.ceil(max / step));
    var top = step * lines;
    var plotW = g.width - g.left - g.right;
    var plotH = g.height - g.top - g.bottom;
    var muted = cssVar('--muted');
    var border = cssVar('--border');

    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = muted;
    ctx.strokeStyle = border;
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (var i = 0; i <= lines; i++) {
      var y = Math.round(g.top + plotH - plotH * i / lines) + 0.5;
      ctx.beginPath();
      ctx.moveTo(g.left, y);
      ctx.lineTo(g.width - g.right, y);
      ctx.stroke();
      ctx.fillText((step * i).toLocaleString(), g.left - 6, y);
    }

    var slot = plotW / buckets.length;
    var barW = Math.max(1, slot * 0.78);
    var colors = levels.map(function (l) { return cssVar('--lv-' + levelKey(l)); });
    // Most severe at the bottom, where the eye finds it first.
    buckets.forEach(function (bucket, index) {
      var x = g.left + index * slot + (slot - barW) / 2;
      var base = g.top + plotH;
      for (var li = levels.length - 1; li >= 0; li--) {
        var count = bucket.counts[li];
        if (!count) continue;
        var h = plotH * count / top;
        ctx.fillStyle = colors[li];
        ctx.fillRect(x, base - h, barW, h);
        base -= h;
      }
    });

    var span = (Date.parse(lastStats.until) - Date.parse(lastStats.since)) / 1000;
    var every = Math.max(1, Math.ceil(buckets.length / Math.max(2, Math.floor(plotW / 90))));
    ctx.fillStyle = muted;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (var t = 0; t < buckets.length; t += every) {
      var label = shortTick(new Date(buckets[t].start), lastStats.intervalSeconds, span);
      var half = ctx.measureText(label).width / 2;
      // Labels at the edges stay inside the canvas.
      var tx = Math.min(Math.max(g.left + t * slot + slot / 2, half + 2), g.width - half - 2);
      ctx.fillText(label, tx, g.top + plotH + 6);
    }
  }

  function bucketAt(event) {
    if (!lastStats || !lastStats.buckets || !lastStats.buckets.length) return -1;
    var canvas = $('chart');
    var g = chartGeometry(canvas);
    var rect = canvas.getBoundingClientRect();
    var x = event.clientX - rect.left - g.left;
    var plotW = g.width - g.left - g.right;
    if (x < 0 || x >= plotW) return -1;
    return Math.floor(x / (plotW / lastStats.buckets.length));
  }

  function onChartMove(event) {
    var tip = $('chart-tip');
    var index = bucketAt(event);
    if (index < 0) { tip.hidden = true; return; }
    var bucket = lastStats.buckets[index];
    var start = new Date(bucket.start);
    var end = new Date(start.getTime() + lastStats.intervalSeconds * 1000);
    var lines = [formatTime(start.toISOString()).replace(/\.\d{3}$/, '') + ' – ' + formatTime(end.toISOString()).replace(/\.\d{3}$/, '')];
    var total = 0;
    lastStats.levels.forEach(function (level, li) {
      if (bucket.counts[li]) lines.push(level + ': ' + bucket.counts[li]);
      total += bucket.counts[li];
    });
    if (total === 0) lines.push('no entries');
    else lines.push('Click to zoom in');
    tip.textContent = lines.join('\n');
    tip.hidden = false;
    var box = $('chart').parentNode.getBoundingClientRect();
    var left = event.clientX - box.left + 14;
    if (left + tip.offsetWidth > box.width) left = event.clientX - box.left - tip.offsetWidth - 14;
    tip.style.left = left + 'px';
    tip.style.top = Math.max(0, event.clientY - box.top - 10) + 'px';
  }

  function onChartClick(event) {
    var index = bucketAt(event);
    if (index < 0) return;
    var start = new Date(lastStats.buckets[index].start);
    var end = new Date(start.getTime() + lastStats.intervalSeconds * 1000);
    state.all = false;
    state.since = start.toISOString();
    state.until = end.toISOString();
    state.live = false;
    apply(true);
  }

  // ---- Wiring ------------------------------------------------------------------------------

  function readTextFilters() {
    state.q = $('q').value.trim();
    state.category = $('category').value.trim();
  }

  function init() {
    $('filters').addEventListener('submit', function (event) {
      event.preventDefault();
      readTextFilters();
      apply(true);
    });
    $('reset').addEventListener('click', function () {
      state = { since: DEFAULT_SINCE, until: '', all: false, levels: [], services: [], q: '', category: '', utc: state.utc, live: false };
      apply(true);
    });
    $('quick').addEventListener('click', function (event) {
      var button = event.target.closest('button');
      if (!button) return;
      var since = button.getAttribute('data-since');
      if (since === 'custom') {
        $('custom').hidden = false;
        Array.prototype.forEach.call($('quick').querySelectorAll('button'), function (b) { b.setAttribute('aria-pressed', b === button ? 'true' : 'false'); });
        if (!$('since').value) $('since').value = toLocalInput(new Date(Date.now() - 3600 * 1000).toISOString());
        $('since').focus();
        return;
      }
      state.all = since === 'all';
      state.since = state.all ? '' : since;
      state.until = '';
      apply(true);
    });
    ['since', 'until'].forEach(function (id) {
      $(id).addEventListener('change', function () {
        var since = fromLocalInput($('since').value);
        var until = fromLocalInput($('until').value);
        state.since = since;
        state.until = until;
        state.all = !since && !until;
        if (state.until) state.live = false;
        apply(true);
      });
    });
    var typing = null;
    ['q', 'category'].forEach(function (id) {
      $(id).addEventListener('input', function () {
        clearTimeout(typing);
        typing = setTimeout(function () { readTextFilters(); apply(false); }, 450);
      });
    });
    $('live').addEventListener('change', function () {
      state.live = $('live').checked && !state.until;
      writeUrl(false);
      if (state.live) startLive();
      else stopLive();
    });
    $('utc').addEventListener('change', function () {
      state.utc = $('utc').checked;
      writeUrl(false);
      renderControls();
      Array.prototype.forEach.call(document.querySelectorAll('#rows tr.row td.time'), function (cell) {
        cell.textContent = formatTime(cell.title);
      });
      drawChart();
      renderLegend();
    });
    $('load-more').addEventListener('click', loadMore);
    var chart = $('chart');
    chart.addEventListener('mousemove', onChartMove);
    chart.addEventListener('mouseleave', function () { $('chart-tip').hidden = true; });
    chart.addEventListener('click', onChartClick);
    window.addEventListener('resize', function () { drawChart(); });
    window.addEventListener('popstate', function () {
      state = readStateFromUrl();
      renderControls();
      reload();
    });
    window.addEventListener('beforeunload', stopLive);
    writeUrl(false);
    renderControls();
    reload();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
}());
