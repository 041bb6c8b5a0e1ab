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
  var CONTEXT_SIZE = 20;
  var STATS_REFRESH_MS = 5000;
  // The structure filters that take a list of values: state key, API parameter, what a chip calls it.
  var LIST_FILTERS = [
    ['traceIds', 'traceId', 'Trace id'],
    ['spanIds', 'spanId', 'Span id'],
    ['eventIds', 'eventId', 'Event'],
    ['exceptionTypes', 'exceptionType', 'Exception type']
  ];

  var state = readStateFromUrl();
  // The time range of the list on the page, resolved to instants when it was read (see reload).
  var loadedRange = { since: '', until: '' };
  var knownLevels = [];
  var knownServices = [];
  var nextCursor = null;
  var rowCount = 0;
  var droppedNewer = 0;
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

  // Each value split at its commas, except a comma after a backtick (the wildcard escape), as the
  // API splits them: "eu`,west" stays one value.
  function splitList(values) {
    var out = [];
    function add(part) {
      var t = part.trim();
      if (t && out.indexOf(t) < 0) out.push(t);
    }
    values.forEach(function (v) {
      var s = String(v);
      var start = 0;
      for (var i = 0; i < s.length; i++) {
        if (s.charAt(i) === '`') i++;
        else if (s.charAt(i) === ',') { add(s.substring(start, i)); start = i + 1; }
      }
      add(s.substring(start));
    });
    return out;
  }

  // A wildcard that matches exactly this text: a backtick before each of * ? [ ] and the backtick.
  function escapeWildcard(text) { return String(text).replace(/[*?\[\]`]/g, '`$&'); }

  // The same for a value of a list parameter, where a bare comma would also separate values.
  function escapeListValue(text) { return String(text).replace(/[*?\[\]`,]/g, '`$&'); }

  function emptyFilters(s) {
    s.levels = [];
    s.services = [];
    s.q = '';
    s.category = '';
    LIST_FILTERS.forEach(function (f) { s[f[0]] = []; });
    s.props = [];
    s.hasException = '';
    s.entry = '';
    return s;
  }

  function readStateFromUrl() {
    var p = new URLSearchParams(window.location.search);
    var s = emptyFilters({
      since: p.get('since') || '',
      until: p.get('until') || '',
      all: p.get('range') === 'all',
      utc: p.get('tz') === 'utc',
      live: p.get('live') === '1'
    });
    s.levels = splitList(p.getAll('level')).map(normalizeLevel);
    // Service values are wildcards, as the API reads them; a box's value is its name escaped.
    s.services = splitList(p.getAll('service'));
    s.q = p.get('q') || '';
    s.category = p.get('category') || '';
    LIST_FILTERS.forEach(function (f) { s[f[0]] = splitList(p.getAll(f[1])); });
    p.forEach(function (value, key) {
      if (/^prop\./i.test(key) && key.length > 5 && value) setProperty(s, key.substring(5), value);
    });
    s.hasException = p.get('hasException') === 'true' || p.get('hasException') === 'false' ? p.get('hasException') : '';
    s.entry = p.get('entry') || '';
    if (s.all) { s.since = ''; s.until = ''; }
    if (!s.since && !s.until && !s.all) s.since = DEFAULT_SINCE;
    // A shared link with an end and live=1 opens with the tail off, as choosing the end would.
    if (s.until) s.live = false;
    return s;
  }

  // One condition per property name (the API takes each prop.<name> once; names ignore case).
  function setProperty(s, name, pattern) {
    s.props = s.props.filter(function (p) { return p[0].toLowerCase() !== name.toLowerCase(); });
    s.props.push([name, pattern]);
  }

  function normalizeLevel(name) {
    var lower = name.toLowerCase();
    for (var i = 0; i < LEVELS.length; i++) {
      if (LEVELS[i].toLowerCase() === lower) return LEVELS[i];
    }
    return name;
  }

  // The filters as API parameters, each value of a list as a parameter of its own; the page's
  // own URL adds its view settings. The page's URL keeps the range as the user chose it ("-7d"
  // stays "-7d"); the API gets it as the instants the list was read with.
  function filterParams(forPage) {
    var p = new URLSearchParams();
    if (forPage && state.entry) {
      // A permalink names the entry only: its context does not depend on the filters.
      p.set('entry', state.entry);
      if (state.utc) p.set('tz', 'utc');
      return p;
    }
    var since = forPage ? state.since : loadedRange.since;
    var until = forPage ? state.until : loadedRange.until;
    if (since) p.set('since', since);
    if (until) p.set('until', until);
    state.levels.forEach(function (l) { p.append('level', l); });
    state.services.forEach(function (s) { p.append('service', s); });
    if (state.q) p.set('q', state.q);
    if (state.category) p.set('category', state.category);
    LIST_FILTERS.forEach(function (f) { state[f[0]].forEach(function (v) { p.append(f[1], v); }); });
    state.props.forEach(function (prop) { p.append('prop.' + prop[0], prop[1]); });
    if (state.hasException) p.set('hasException', state.hasException);
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

  // A time the API reads relative to now ("-1h", "30min ago", "now", "today") as the instant it
  // means at `now`; anything else as it is (the API reports what it cannot read).
  var RELATIVE_TIME = /^\s*-?\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)\s*(?:ago)?\s*$/i;

  function absoluteTime(text, now) {
    if (!text || isIsoTime(text)) return text;
    var lower = text.trim().toLowerCase();
    if (lower === 'now') return new Date(now).toISOString();
    if (lower === 'today' || lower === 'yesterday') {
      var midnight = new Date(now);
      midnight.setHours(0, 0, 0, 0);
      if (lower === 'yesterday') midnight.setDate(midnight.getDate() - 1);
      return midnight.toISOString();
    }
    var match = RELATIVE_TIME.exec(text);
    if (!match) return text;
    var unit = match[2].toLowerCase();
    var ms = unit === 'ms' || unit.indexOf('milli') === 0 ? 1 : { s: 1000, m: 60000, h: 3600000, d: 86400000, w: 604800000 }[unit.charAt(0)];
    return new Date(now - parseFloat(match[1]) * ms).toISOString();
  }

  // ---- Time formatting ---------------------------------------------------------------------

  function pad(n, width) { var s = String(n); while (s.length < (width || 2)) s = '0' + s; return s; }

  function formatTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    if (state.utc) return iso.replace('T', ' ').replace(/(\.\d{3})\d*/, '$1').replace('Z', '');
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
  }

  // The From and To fields show and take UTC when the UTC switch is on, else this browser's time.
  function toTimeInput(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return '';
    if (state.utc) {
      return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + 'T' +
        pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
    }
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  function fromTimeInput(value) {
    if (!value) return '';
    var d = new Date(state.utc ? value + 'Z' : value);
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
          throw new ApiError(problemText(problem, response.status));
        }, function () { throw new ApiError('HTTP ' + response.status + ' ' + response.statusText); });
      });
  }

  // A problem answer as text; every bad parameter on a line of its own.
  function problemText(problem, status) {
    var title = problem.title || ('HTTP ' + status);
    if (Array.isArray(problem.errors) && problem.errors.length > 1) {
      return title + ':\n' + problem.errors.map(function (e) {
        return '• ' + e.parameter + ': ' + e.detail + ' [' + e.errorId + ']';
      }).join('\n');
    }
    var text = title + (problem.detail ? ': ' + problem.detail : '');
    if (problem.errorId) text += ' [' + problem.errorId + ']';
    return text;
  }

  function showError(message) {
    var box = $('error');
    box.textContent = message || '';
    box.hidden = !message;
  }

  // ---- Filters: levels and services from the store -----------------------------------------

  // items: [{value, label}]; a selected value no item has gets a box of its own.
  function renderChecks(containerId, name, items, selected, labelFor) {
    var container = $(containerId);
    container.replaceChildren();
    var all = items.slice();
    selected.forEach(function (v) {
      if (!all.some(function (item) { return item.value === v; })) all.push({ value: v, label: v });
    });
    if (all.length === 0) {
      container.appendChild(el('span', 'none', name === 'service' ? 'No services yet' : 'No levels yet'));
      return;
    }
    all.forEach(function (item) {
      var label = el('label');
      var box = el('input');
      box.type = 'checkbox';
      box.name = name;
      box.value = item.value;
      box.checked = selected.indexOf(item.value) >= 0;
      box.addEventListener('change', onChecksChanged);
      label.appendChild(box);
      label.appendChild(labelFor(item.label));
      container.appendChild(label);
    });
    if (container.classList.contains('checks-scroll')) updateScrollCue(container);
  }

  // A list that scrolls says so: a fade at its bottom edge while more is below.
  function updateScrollCue(box) {
    box.classList.toggle('more-below', box.scrollTop + box.clientHeight < box.scrollHeight - 1);
  }

  function levelLabel(level) {
    var span = el('span', 'badge bg-' + levelKey(level), level);
    return span;
  }

  function plainLabel(text) { return logEl('span', 'logtext', text); }

  function renderFilterLists() {
    var levels = LEVELS.filter(function (l) { return knownLevels.indexOf(l) >= 0; });
    renderChecks('levels', 'level', levels.map(function (l) { return { value: l, label: l }; }), state.levels, levelLabel);
    // A box filters by its exact name: the name as a wildcard that matches only itself.
    var services = knownServices.map(function (name) { return { value: escapeListValue(name), label: name }; });
    renderChecks('services', 'service', services, state.services, plainLabel);
  }

  // The order of api/services (ordinal, ignoring case), so that a box added live lands where a reload puts it.
  function byName(a, b) {
    var x = a.toUpperCase();
    var y = b.toUpperCase();
    return x < y ? -1 : x > y ? 1 : (a < b ? -1 : a > b ? 1 : 0);
  }

  // A live entry of a service or level the lists do not have yet adds its box.
  function learnFromEntry(entry) {
    var changed = false;
    if (typeof entry.service === 'string' && knownServices.indexOf(entry.service) < 0) {
      knownServices.push(entry.service);
      knownServices.sort(byName);
      changed = true;
    }
    if (LEVELS.indexOf(entry.level) >= 0 && knownLevels.indexOf(entry.level) < 0) {
      knownLevels.push(entry.level);
      changed = true;
    }
    if (changed) renderFilterLists();
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
    // A quick range stays relative in the state and the URL, so its button shows pressed after a reload too.
    var mode = state.all ? 'all' : !state.until && QUICK_RANGES.indexOf(state.since) >= 0 ? state.since : 'custom';
    Array.prototype.forEach.call($('quick').querySelectorAll('button'), function (button) {
      button.setAttribute('aria-pressed', button.getAttribute('data-since') === mode ? 'true' : 'false');
    });
    $('custom').hidden = mode !== 'custom';
    $('since').value = isIsoTime(state.since) ? toTimeInput(state.since) : '';
    $('until').value = isIsoTime(state.until) ? toTimeInput(state.until) : '';
    $('custom-zone').textContent = state.utc ? 'UTC' : 'local time';
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
    // A tail shows what comes after now, which a range with an end leaves out.
    $('live').checked = state.live && !state.entry && !state.until;
    $('live').disabled = !!state.entry || !!state.until;
    $('live').parentNode.title = state.entry ? 'Go back to the list to tail it'
      : state.until ? 'Off while the time range has an end: clear the end of the time range (To) or choose a quick range to tail'
        : 'Show new entries as they are written';
    $('time-head').textContent = state.utc ? 'Time (UTC)' : 'Time (local)';
    renderActiveFilters();
  }

  // ---- Structure filters: chips that show them and take them away ---------------------------

  function renderActiveFilters() {
    var box = $('active-filters');
    box.replaceChildren();
    function chip(param, name, value, remove) {
      var item = el('span', 'chip');
      item.setAttribute('data-param', param);
      item.appendChild(el('span', 'chip-name', name));
      item.appendChild(logEl('span', 'chip-value logtext', value));
      var button = el('button', 'chip-remove', '×');
      button.type = 'button';
      button.title = 'Remove this filter';
      button.setAttribute('aria-label', 'Remove filter ' + name + ' ' + visibleString(value));
      button.addEventListener('click', function () { remove(); apply(true); });
      item.appendChild(button);
      box.appendChild(item);
    }
    LIST_FILTERS.forEach(function (f) {
      state[f[0]].forEach(function (value) {
        chip(f[1], f[2], value, function () { state[f[0]] = state[f[0]].filter(function (v) { return v !== value; }); });
      });
    });
    state.props.forEach(function (prop) {
      chip('prop.' + prop[0], prop[0] + ' =', prop[1], function () { state.props = state.props.filter(function (p) { return p !== prop; }); });
    });
    if (state.hasException) {
      chip('hasException', 'Exception', state.hasException === 'true' ? 'with' : 'without', function () { state.hasException = ''; });
    }
    box.hidden = box.childElementCount === 0;
  }

  // From the opened entry: show only the entries that share this value.
  function addListFilter(key, value) {
    if (state[key].indexOf(value) < 0) state[key].push(value);
    filterFromEntry();
  }

  function addPropertyFilter(name, pattern) {
    setProperty(state, name, pattern);
    filterFromEntry();
  }

  function filterFromEntry() {
    // From a permalink's context the list was not filtered by time: look through all of it.
    if (state.entry) { state.all = true; state.since = ''; state.until = ''; }
    apply(true);
  }

  // ---- Loading -----------------------------------------------------------------------------

  // After the user changed a filter: the list (no longer a permalink's context), the URL, the controls.
  function apply(push) {
    state.entry = '';
    if (state.until) state.live = false;
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
    // Read once here, so that the list, its further pages, the chart and the downloads cover one
    // window, which the next reload moves on to its own now.
    var now = Date.now();
    loadedRange = { since: absoluteTime(state.since, now), until: absoluteTime(state.until, now) };
    document.body.setAttribute('data-loading', '1');
    showError('');
    clearRows();
    updateDownloads();
    $('chart-panel').hidden = !!state.entry;
    $('context-bar').hidden = !state.entry;
    if (state.entry) {
      loadContext(mine);
      return;
    }
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
      if (state.live) startLive();
    }, function (error) {
      if (mine !== generation || (error && error.name === 'AbortError')) return;
      showError(error && error.message ? error.message : String(error));
      document.body.setAttribute('data-loading', '0');
    });
  }

  // A permalink: the entry with the entries just before and after it, whatever their service and level.
  function loadContext(mine) {
    var params = new URLSearchParams();
    params.set('id', state.entry);
    params.set('n', String(CONTEXT_SIZE));
    $('context-note').textContent = 'Loading the entry…';
    var context = getJson('api/context', params, pageAbort.signal).then(function (result) {
      if (mine !== generation) return;
      var rows = result.after.slice().reverse();
      if (result.entry) rows.push(result.entry);
      rows = rows.concat(result.before.slice().reverse());
      appendEntries(rows, false);
      $('summary').textContent = rows.length.toLocaleString() + (rows.length === 1 ? ' entry' : ' entries') + ', newest first';
      var note = result.entry
        ? 'One entry with the ' + CONTEXT_SIZE + ' entries written just before and after it, of every service and level.'
        : 'This entry is no longer in the store; these are the entries written around its place.';
      $('context-note').textContent = note;
      if (!result.entry) return;
      var target = $('rows').querySelector('tr.row[data-id="' + cssEscape(result.entry.id) + '"]');
      if (!target) return;
      target.classList.add('target');
      target.setAttribute('aria-current', 'true');
      toggleDetail(target, result.entry);
      target.scrollIntoView({ block: 'center' });
    });
    var catalogs = loadCatalogs().catch(function () { });
    Promise.all([context, catalogs]).then(function () {
      if (mine === generation) document.body.setAttribute('data-loading', '0');
    }, function (error) {
      if (mine !== generation || (error && error.name === 'AbortError')) return;
      $('context-note').textContent = '';
      showError(error && error.message ? error.message : String(error));
      document.body.setAttribute('data-loading', '0');
    });
  }

  function cssEscape(text) { return window.CSS && CSS.escape ? CSS.escape(text) : String(text).replace(/["\\]/g, '\\$&'); }

  // The address of a permalink to an entry, relative to the page.
  function permalinkFor(entry) {
    var p = new URLSearchParams();
    p.set('entry', entry.id);
    if (state.utc) p.set('tz', 'utc');
    return window.location.pathname + '?' + p.toString();
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
    if (droppedNewer > 0) {
      parts.push('the ' + droppedNewer.toLocaleString() + ' newest were taken off to make room (at most ' + MAX_ROWS.toLocaleString() + ' rows); Apply shows them again');
    }
    if (nextCursor) parts.push('more available');
    $('summary').textContent = parts.join(' · ');
  }

  // ---- The table ---------------------------------------------------------------------------

  function clearRows() {
    $('rows').replaceChildren();
    rowCount = 0;
    droppedNewer = 0;
    nextCursor = null;
    $('load-more').hidden = true;
    $('empty').hidden = true;
    $('summary').textContent = '';
  }

  function appendEntries(entries, fresh) {
    var body = $('rows');
    if (fresh) {
      // Live entries come oldest first; each new one goes on top, unless it is older than rows
      // shown already (the tail finds a partition new to the store a moment after the others).
      entries.forEach(function (entry) { insertLive(body, renderRow(entry, true)); });
    } else {
      var fragment = document.createDocumentFragment();
      entries.forEach(function (entry) { fragment.appendChild(renderRow(entry, false)); });
      body.appendChild(fragment);
    }
    rowCount += entries.length;
    if (fresh) trimOldest();
    else trimNewest();
    updateMore();
  }

  // A long live tail keeps the newest MAX_ROWS; "Load more" then continues from the oldest kept.
  function trimOldest() {
    var body = $('rows');
    var trimmed = false;
    while (rowCount > MAX_ROWS) {
      var last = body.lastElementChild;
      if (!last) break;
      body.removeChild(last);
      if (last.classList.contains('row')) { rowCount--; trimmed = true; }
    }
    if (!trimmed) return;
    var rows = body.querySelectorAll('tr.row');
    nextCursor = rows.length ? rows[rows.length - 1].getAttribute('data-id') : null;
  }

  // Paging back past MAX_ROWS takes the newest rows off the top, so that "Load more" goes on
  // for as long as there is more. The live tail stops then: its entries would not join on.
  function trimNewest() {
    var body = $('rows');
    var before = droppedNewer;
    while (rowCount > MAX_ROWS || (body.firstElementChild && body.firstElementChild.classList.contains('detail'))) {
      var first = body.firstElementChild;
      if (!first) break;
      body.removeChild(first);
      if (first.classList.contains('row')) { rowCount--; droppedNewer++; }
    }
    if (droppedNewer > before && state.live) {
      state.live = false;
      stopLive();
      writeUrl(false);
      renderControls();
    }
  }

  function renderRow(entry, fresh) {
    var key = levelKey(entry.level);
    var tr = el('tr', 'row lv-' + key + (fresh ? ' fresh' : ''));
    tr.tabIndex = 0;
    tr.setAttribute('data-id', entry.id || '');
    tr.eventTime = Date.parse(entry.timestamp);
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

  // ---- The opened entry --------------------------------------------------------------------

  // A number of the properties as it is written in the JSON, so that a 64-bit id shows and
  // filters with all its digits (JSON.parse would round it to a double).
  function RawNumber(text) { this.text = text; }

  function parseProperties(text) {
    return JSON.parse(text, function (key, value, context) {
      if (typeof value === 'number') return new RawNumber(context && typeof context.source === 'string' ? context.source : String(value));
      return value;
    });
  }

  // A button in the opened entry that filters the list by one of its values.
  function filterLink(text, title, onClick) {
    var button = logEl('button', 'filter-link logtext', text);
    button.type = 'button';
    button.title = title;
    button.addEventListener('click', function (event) {
      event.stopPropagation();
      onClick();
    });
    return button;
  }

  function shortTitle(text) {
    var s = visibleString(text);
    return s.length > 80 ? s.substring(0, 79) + '…' : s;
  }

  // The properties written as JSON.stringify(value, null, 2) writes them, each value a button
  // that filters by prop.<path>=<value>. A value the API cannot reach by a path (null, an array
  // in an array, a member of an object in an array, a name with a dot below the top) stays text.
  function appendJson(node, value, indent, path) {
    function text(t) { node.appendChild(document.createTextNode(t)); }
    var inner = new Array(indent + 2).join('  ');
    var outer = new Array(indent + 1).join('  ');
    if (value instanceof RawNumber) {
      appendScalar(node, value.text, path, value.text);
    } else if (value === null) {
      text('null');
    } else if (Array.isArray(value)) {
      if (value.length === 0) { text('[]'); return; }
      text('[\n');
      value.forEach(function (item, i) {
        text(inner);
        // An item filters by the array's name: the API matches an array when one item does.
        var scalar = item === null || typeof item !== 'object' || item instanceof RawNumber;
        appendJson(node, item, indent + 1, scalar ? path : null);
        text(i < value.length - 1 ? ',\n' : '\n');
      });
      text(outer + ']');
    } else if (typeof value === 'object') {
      var keys = Object.keys(value);
      if (keys.length === 0) { text('{}'); return; }
      text('{\n');
      keys.forEach(function (key, i) {
        text(inner);
        appendLogText(node, JSON.stringify(key));
        text(': ');
        appendJson(node, value[key], indent + 1, childPath(path, key));
        text(i < keys.length - 1 ? ',\n' : '\n');
      });
      text(outer + '}');
    } else {
      appendScalar(node, JSON.stringify(value), path, typeof value === 'string' ? escapeWildcard(value) : String(value));
    }
  }

  function childPath(path, key) {
    if (!path) return null;
    var next = path.concat([key]);
    if (next.length > 1 && next.some(function (step) { return step.indexOf('.') >= 0; })) return null;
    return next;
  }

  function appendScalar(node, written, path, pattern) {
    if (!path || path.length === 0) {
      appendLogText(node, written);
      return;
    }
    var name = path.join('.');
    node.appendChild(filterLink(written, 'Show only entries whose ' + shortTitle(name) + ' is ' + shortTitle(written), function () {
      addPropertyFilter(name, pattern);
    }));
  }

  function renderProperties(text) {
    var pre = el('pre');
    var parsed;
    try {
      parsed = parseProperties(text);
    } catch (e) {
      appendLogText(pre, text);
      return pre;
    }
    appendJson(pre, parsed, 0, parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? [] : null);
    return pre;
  }

  function renderDetail(entry) {
    var wrap = el('div');
    var grid = el('dl', 'detail-grid');
    function field(label) {
      grid.appendChild(el('dt', null, label));
      var dd = el('dd', 'logtext');
      dd.setAttribute('data-field', label);
      grid.appendChild(dd);
      return dd;
    }
    function add(label, value, block) {
      if (value === undefined || value === null || value === '') return;
      var dd = field(label);
      if (block) dd.appendChild(logEl('pre', null, value));
      else appendLogText(dd, value);
    }
    // A value the list can be filtered by: trace and span ids, the exception type.
    function addFilter(label, value, key, pattern) {
      if (!value) return;
      field(label).appendChild(filterLink(value, 'Show only entries with this ' + label.toLowerCase(), function () { addListFilter(key, pattern); }));
    }
    add('Time (UTC)', entry.timestamp);
    add('Level', entry.level);
    add('Service', entry.service);
    add('Category', entry.category);
    add('Host', entry.host);
    if (entry.eventId || entry.eventName) {
      var event = field('Event');
      if (entry.eventId) {
        event.appendChild(filterLink(String(entry.eventId), 'Show only entries with event id ' + entry.eventId, function () { addListFilter('eventIds', String(entry.eventId)); }));
      }
      if (entry.eventId && entry.eventName) event.appendChild(document.createTextNode(' '));
      if (entry.eventName) {
        event.appendChild(filterLink(entry.eventName, 'Show only entries with this event name', function () { addListFilter('eventIds', escapeListValue(entry.eventName)); }));
      }
    }
    add('Message', entry.message, true);
    add('Template', entry.template);
    addFilter('Exception type', entry.exceptionType, 'exceptionTypes', escapeListValue(entry.exceptionType || ''));
    add('Exception message', entry.exceptionMessage);
    add('Exception', entry.exception, true);
    addFilter('Trace id', entry.traceId, 'traceIds', entry.traceId);
    addFilter('Span id', entry.spanId, 'spanIds', entry.spanId);
    if (entry.properties) field('Properties').appendChild(renderProperties(entry.properties));
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
    if (entry.id) {
      // A link to this entry with the entries around it, to share or to come back to.
      var link = el('a', 'button permalink', 'Link to this entry');
      link.href = permalinkFor(entry);
      link.title = 'This entry with the entries just before and after it';
      actions.appendChild(link);
    }
    wrap.appendChild(actions);
    wrap.addEventListener('click', function (event) { event.stopPropagation(); });
    return wrap;
  }

  // A live row goes above the first row it is not older than, so that the table stays newest
  // first by event time; a row whose time does not read goes on top.
  function insertLive(body, tr) {
    var at = body.firstElementChild;
    if (!isNaN(tr.eventTime)) {
      while (at && !(at.classList.contains('row') && !(at.eventTime > tr.eventTime))) at = at.nextElementSibling;
    }
    body.insertBefore(tr, at);
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
      learnFromEntry(entry);
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
      state = emptyFilters({ since: DEFAULT_SINCE, until: '', all: false, utc: state.utc, live: false });
      apply(true);
    });
    $('context-back').addEventListener('click', function () { apply(true); });
    $('quick').addEventListener('click', function (event) {
      var button = event.target.closest('button');
      if (!button) return;
      var since = button.getAttribute('data-since');
      if (since === 'custom') {
        $('custom').hidden = false;
        Array.prototype.forEach.call($('quick').querySelectorAll('button'), function (b) { b.setAttribute('aria-pressed', b === button ? 'true' : 'false'); });
        // Starts from the window on the page ("7 d": seven days ago), else the last hour.
        if (!$('since').value) $('since').value = toTimeInput(isIsoTime(loadedRange.since) ? loadedRange.since : new Date(Date.now() - 3600 * 1000).toISOString());
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
        var since = fromTimeInput($('since').value);
        var until = fromTimeInput($('until').value);
        state.since = since;
        state.until = until;
        state.all = !since && !until;
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
      state.live = $('live').checked && !state.entry && !state.until;
      writeUrl(false);
      renderControls();
      if (state.live) startLive();
      else stopLive();
    });
    $('services').addEventListener('scroll', function () { updateScrollCue($('services')); });
    window.addEventListener('resize', function () { updateScrollCue($('services')); });
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
