/* backlinks dashboard: plain ES2020, no build step, no dependencies.
 *
 * Security rules this file keeps (anchor texts, titles and URLs in the index are written by
 * strangers): the DOM is built with createElement/textContent only, never innerHTML with data;
 * only http(s) URLs become links (rel="noopener noreferrer nofollow", new tab); charts (SVG
 * from the server) are shown as <img> from blob URLs, where no script in them can run.
 */
'use strict';

(() => {
  const API = '/api/v1';
  const TOKEN_KEY = 'backlinks.token';
  const PAGE_SIZES = [25, 50, 100, 250];
  const JOB_POLL_MS = 2000;
  const SECTIONS = ['content', 'nav', 'header', 'footer', 'aside', 'comment', 'unknown'];
  const CHART_TITLES = {
    'chart-anchors': 'Anchor classes',
    'chart-ratings': 'Referring domains by domain rating',
    'chart-velocity': 'New and lost referring domains per snapshot',
    'chart-pages': 'Top pages by referring domains',
    'chart-tlds': 'Referring domains by TLD',
    'chart-sections': 'Links by section of the linking page',
    'chart-toxic': 'Toxic-score distribution',
  };
  const VIEW_TITLES = {
    '': 'Home',
    overview: 'Overview',
    backlinks: 'Backlinks',
    domains: 'Referring domains',
    anchors: 'Anchors',
    history: 'New & lost',
    toxic: 'Toxic links',
    competitors: 'Competitors',
    whatif: 'What-if',
    jobs: 'Jobs',
  };

  // ---- DOM helpers --------------------------------------------------------------------------

  /** Create an element. attrs: class, text, on<event> (functions only), boolean/DOM
   * properties (hidden, disabled, checked, value, selected...), anything else an attribute.
   * Children: nodes, strings (as text), arrays, null (skipped). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key === 'text') el.textContent = String(value);
      else if (key.startsWith('on')) {
        if (typeof value !== 'function') throw new TypeError('event handlers must be functions');
        el.addEventListener(key.slice(2), value);
      } else if (['hidden', 'disabled', 'checked', 'selected', 'required', 'multiple'].includes(key)) {
        el[key] = Boolean(value);
      } else if (key === 'value') el.value = String(value);
      else el.setAttribute(key, value === true ? '' : String(value));
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) append(el, child);
      else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  let uid = 0;
  const nextId = (prefix) => `${prefix}-${++uid}`;

  /** A link for an http(s) URL, plain text for anything else. */
  function externalLink(url, text) {
    const label = text === undefined ? String(url) : String(text);
    let parsed;
    try {
      parsed = new URL(String(url));
    } catch (e) {
      return document.createTextNode(label);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      return document.createTextNode(label);
    }
    const a = h('a', {
      href: parsed.href,
      target: '_blank',
      rel: 'noopener noreferrer nofollow',
      class: 'ext',
    }, label);
    a.title = String(url);
    return a;
  }

  /** A labelled form field: returns {wrap, input}. */
  function field(label, input, hint) {
    const id = input.id || nextId('f');
    input.id = id;
    const wrap = h('div', { class: 'field' }, h('label', { for: id }, label), input);
    if (hint) {
      const hid = nextId('hint');
      input.setAttribute('aria-describedby', hid);
      wrap.append(h('small', { id: hid, class: 'hint' }, hint));
    }
    return { wrap, input };
  }

  function select(options, value) {
    const sel = h('select');
    for (const [v, label] of options) sel.append(h('option', { value: v, selected: v === value }, label));
    if (value !== undefined) sel.value = value;
    return sel;
  }

  function message(text, kind = 'info') {
    return h('p', { class: `msg ${kind}`, role: kind === 'error' ? 'alert' : null }, text);
  }

  function lines(text) {
    return String(text || '').split(/[\r\n]+/).map((s) => s.trim()).filter(Boolean);
  }

  // ---- status (aria-live) ---------------------------------------------------------------------

  let inflight = 0;
  const statusEl = () => document.getElementById('status');

  function announce(text, kind = 'info') {
    const el = statusEl();
    el.className = `status ${kind}`;
    el.textContent = text;
  }

  function busy(delta) {
    inflight = Math.max(0, inflight + delta);
    document.body.classList.toggle('busy', inflight > 0);
  }

  // ---- the API client -------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, text) {
      super(text);
      this.name = 'ApiError';
      this.status = status;
    }
  }

  function getToken() {
    try {
      return sessionStorage.getItem(TOKEN_KEY);
    } catch (e) {
      return null;
    }
  }

  function setToken(value) {
    try {
      if (value) sessionStorage.setItem(TOKEN_KEY, value);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) {
      /* storage off: the token lives as long as this page */
    }
    memoryToken = value || null;
  }
  let memoryToken = null;
  const token = () => getToken() || memoryToken;

  /** params: an array of [name, value] pairs (repeatable names); empty values are left out. */
  function apiUrl(path, params) {
    const url = new URL(API + path, window.location.origin);
    for (const [k, v] of params || []) {
      if (v === null || v === undefined || v === '') continue;
      url.searchParams.append(k, String(v));
    }
    return url;
  }

  async function request(path, params, opts = {}) {
    const headers = { Accept: opts.accept || 'application/json' };
    const t = token();
    if (t) headers.Authorization = `Bearer ${t}`;
    const init = { method: opts.method || 'GET', headers, signal: opts.signal, cache: 'no-store', credentials: 'same-origin' };
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    }
    let res;
    busy(1);
    try {
      res = await fetch(apiUrl(path, params), init);
    } catch (e) {
      busy(-1);
      if (e && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'The server did not answer (is `backlinks serve` still running?)');
    }
    busy(-1);
    if (!res.ok) {
      let text = `${res.status} ${res.statusText}`;
      try {
        const body = await res.json();
        if (body && body.error && body.error.message) text = String(body.error.message);
      } catch (e) {
        /* not JSON: keep the status line */
      }
      if (res.status === 401) askForToken('The server refused the token: enter it again.');
      throw new ApiError(res.status, text);
    }
    return res;
  }

  async function api(path, params, opts) {
    const res = await request(path, params, opts);
    return res.json();
  }

  function filenameOf(res, fallback) {
    const cd = res.headers.get('Content-Disposition') || '';
    const m = /filename="?([^";]+)"?/i.exec(cd);
    const name = (m ? m[1] : fallback).replace(/[^A-Za-z0-9._-]+/g, '_');
    return name || fallback;
  }

  /** Fetch with the token, then save through a blob URL and a temporary <a download>. */
  async function download(path, params, fallback) {
    announce(`Preparing ${fallback}…`);
    const res = await request(path, params, { accept: '*/*' });
    const blob = await res.blob();
    const name = filenameOf(res, fallback);
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: name, class: 'visually-hidden' }, name);
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    announce(`Downloaded ${name} (${blob.size.toLocaleString('en-US')} bytes).`);
  }

  const isAbort = (e) => e && e.name === 'AbortError';

  function errorText(e) {
    if (e instanceof ApiError) {
      return e.status ? `Error ${e.status}: ${e.message}` : e.message;
    }
    return `Unexpected error: ${e && e.message ? e.message : e}`;
  }

  // ---- formatting -----------------------------------------------------------------------------

  const INT = new Intl.NumberFormat('en-US');
  const DEC = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

  function fmtNumber(v, column) {
    if (column && /share|fraction/.test(column) && v >= 0 && v <= 1) {
      return `${(v * 100).toFixed(1)} %`;
    }
    if (Number.isInteger(v)) return INT.format(v);
    if (Math.abs(v) < 1 && v !== 0) return Number(v.toPrecision(3)).toString();
    return DEC.format(v);
  }

  const DATE_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?/;
  /** 64-bit ids (snapshot_id, node_id, src_domain_id...) come as JSON strings beyond 2**53
   * (small ones may still be numbers): always text, never parsed, never grouped with commas. */
  const isIdColumn = (c) => /(^|_)id$/.test(c);
  const idText = (v) => (typeof v === 'number' || typeof v === 'string' ? String(v) : null);
  const isUrlColumn = (c) => c === 'url' || /(^|_)url$/.test(c) || c === 'location';
  const label = (c) => c.replace(/_/g, ' ').replace(/\burl\b/g, 'URL').replace(/\bid\b/g, 'ID');

  /** "a (x; y); b" → ["a (x; y)", "b"]: split at "; " outside brackets. */
  function splitReasons(text) {
    const parts = [];
    let depth = 0;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === '(' || ch === '[') depth++;
      else if ((ch === ')' || ch === ']') && depth > 0) depth--;
      else if (ch === ';' && depth === 0 && text[i + 1] === ' ') {
        parts.push(text.slice(start, i).trim());
        start = i + 2;
      }
    }
    parts.push(text.slice(start).trim());
    return parts.filter(Boolean);
  }

  /** Reasons as a disclosure: the first one shown, the rest on demand (keyboard: Enter). */
  function reasonsContent(text) {
    const parts = splitReasons(text);
    if (parts.length < 2) return text;
    return h('details', { class: 'reasons' },
      h('summary', {}, parts[0], h('span', { class: 'muted' }, ` (+${parts.length - 1} more)`)),
      h('ul', {}, parts.slice(1).map((p) => h('li', {}, p))));
  }

  /** One table cell's content for a value, by its column. */
  function cellContent(value, column) {
    if (value === null || value === undefined) return h('span', { class: 'muted', title: 'no value' }, '—');
    if (typeof value === 'boolean') return value ? 'yes' : 'no';
    if (column && isIdColumn(column) && idText(value) !== null) return idText(value);
    if (typeof value === 'number') return fmtNumber(value, column);
    if (typeof value === 'object') return JSON.stringify(value);
    const text = String(value);
    if (text === '') return h('span', { class: 'muted', title: 'empty' }, '(empty)');
    if (isUrlColumn(column)) return externalLink(text);
    if (column === 'reasons') return reasonsContent(text);
    if (DATE_RE.test(text) && /(_at|_seen|date|time)$/.test(column)) return text.replace('T', ' ');
    return text;
  }

  function cellClass(value, column) {
    const classes = [];
    if (isIdColumn(column)) return 'id';
    if (typeof value === 'number') classes.push('num');
    if (isUrlColumn(column)) classes.push('url');
    if (column === 'reasons' || column === 'reason' || column === 'which' || column === 'message') classes.push('long');
    if (column === 'anchor' || column === 'entry') classes.push('text');
    return classes.join(' ');
  }

  // ---- the generic table ----------------------------------------------------------------------

  /**
   * One component for every list endpoint: filters, sortable headers, cursor pages, CSV.
   *
   * opts: title, endpoint, base (() => [[k, v]...] fixed query), controls (see below),
   * contains ({columns: [[col, label]...]} or true for every text column), sort (default
   * list), pageSize, hide (RegExp of columns not shown), render ({column: (value, row) =>
   * node}), csvName, empty (text when no rows), ctx (the view's context).
   *
   * controls: {kind: 'select', label, filter: COLUMN, options} adds filter=COLUMN=VALUE;
   * {kind: 'select'|'number'|'checkbox', label, param: NAME, ...} sets a query parameter;
   * onChange (a select's or checkbox's new value) runs before the table reloads.
   * A contains column may be several joined by "|" (any of them matches).
   */
  function dataTable(opts) {
    const id = nextId('tbl');
    const ctx = opts.ctx;
    const state = {
      sort: [...(opts.sort || [])],
      limit: opts.pageSize || 50,
      cursors: [null],
      columns: [],
      textColumns: [],
      seq: 0,
      last: null,
    };
    const hide = opts.hide || /(^|_)id$/;
    const heading = h('h2', { id: `${id}-h` }, opts.title);
    const panel = h('section', { class: 'panel table-panel', 'aria-labelledby': `${id}-h`, 'data-table': opts.name || opts.endpoint });
    const toolbar = h('form', { class: 'toolbar', 'aria-label': `${opts.title}: filters` });
    const controls = [];

    // the "contains" search
    let containsCol = null;
    let containsText = null;
    if (opts.contains) {
      containsText = h('input', { type: 'search', autocomplete: 'off', spellcheck: 'false' });
      const cols = Array.isArray(opts.contains.columns) ? opts.contains.columns : [];
      containsCol = select(cols, cols.length ? cols[0][0] : undefined);
      const searchLabel = opts.contains.label || 'Contains';
      toolbar.append(
        field(searchLabel, containsText).wrap,
        field('in column', containsCol).wrap,
      );
      containsCol.addEventListener('change', () => { if (containsText.value.trim()) reload(); });
    }
    for (const c of opts.controls || []) {
      let input;
      if (c.kind === 'select') {
        input = select(c.options, c.value);
        if (c.onChange) input.addEventListener('change', () => c.onChange(input.value));
        input.addEventListener('change', () => (c.param ? paramChanged() : reload()));
      } else if (c.kind === 'number') {
        input = h('input', { type: 'number', min: c.min, max: c.max, step: c.step || 'any', value: c.value, inputmode: 'decimal' });
      } else if (c.kind === 'checkbox') {
        input = h('input', { type: 'checkbox', checked: c.value });
        if (c.onChange) input.addEventListener('change', () => c.onChange(input.checked));
        input.addEventListener('change', paramChanged);
      }
      const f = field(c.label, input, c.hint);
      if (c.kind === 'checkbox') f.wrap.classList.add('check');
      toolbar.append(f.wrap);
      controls.push({ spec: c, input });
    }
    const limitSel = select(PAGE_SIZES.map((n) => [String(n), String(n)]), String(state.limit));
    limitSel.addEventListener('change', () => {
      state.limit = Number(limitSel.value);
      reload();
    });
    toolbar.append(field('Rows per page', limitSel).wrap);
    const apply = h('button', { type: 'submit' }, 'Apply');
    const csv = h('button', { type: 'button', class: 'secondary', 'data-action': 'csv' }, 'Download CSV');
    toolbar.append(h('div', { class: 'field actions' }, apply, csv));
    toolbar.addEventListener('submit', (ev) => {
      ev.preventDefault();
      reload(true);
    });
    csv.addEventListener('click', async () => {
      csv.disabled = true;
      try {
        await download(opts.endpoint, [...query(false), ['format', 'csv']], `${opts.csvName || 'rows'}.csv`);
      } catch (e) {
        if (!isAbort(e)) showError(e);
      } finally {
        csv.disabled = false;
      }
    });

    const summary = h('p', { class: 'summary', 'data-role': 'summary' });
    const errorBox = h('div', { class: 'error-box' });
    const table = h('table', { class: 'data', id });
    const wrap = h('div', { class: 'table-wrap', role: 'region', 'aria-labelledby': `${id}-h`, tabindex: '0' }, table);
    const prev = h('button', { type: 'button', 'data-action': 'prev', disabled: true }, '← Previous');
    const next = h('button', { type: 'button', 'data-action': 'next', disabled: true }, 'Next →');
    const pageInfo = h('span', { class: 'page-info', 'data-role': 'page' });
    const pager = h('nav', { class: 'pager', 'aria-label': `${opts.title}: pages` }, prev, pageInfo, next);
    prev.addEventListener('click', () => {
      if (state.cursors.length > 1) {
        state.cursors.pop();
        load();
      }
    });
    next.addEventListener('click', () => {
      if (state.last && state.last.next_cursor) {
        state.cursors.push(state.last.next_cursor);
        load();
      }
    });
    append(panel, [heading, opts.intro ? h('p', { class: 'intro' }, opts.intro) : null, toolbar, errorBox, summary, wrap, pager]);

    function filters() {
      const out = [];
      if (containsText && containsText.value.trim() && containsCol.value) {
        out.push(`${containsCol.value}~${containsText.value.trim()}`);
      }
      for (const { spec, input } of controls) {
        if (spec.filter && input.value !== '') out.push(`${spec.filter}=${input.value}`);
      }
      return out;
    }

    function query(paged) {
      const pairs = [...(opts.base ? opts.base() : [])];
      for (const { spec, input } of controls) {
        if (!spec.param) continue;
        if (spec.kind === 'checkbox') pairs.push([spec.param, input.checked ? 'true' : 'false']);
        else pairs.push([spec.param, input.value]);
      }
      for (const f of filters()) pairs.push(['filter', f]);
      for (const s of state.sort) pairs.push(['sort', s]);
      if (paged) {
        pairs.push(['limit', state.limit]);
        const cursor = state.cursors[state.cursors.length - 1];
        if (cursor) pairs.push(['cursor', cursor]);
      }
      return pairs;
    }

    /** A query parameter changed: the answer (and its columns) may differ. */
    function paramChanged() {
      if (containsText && !(Array.isArray(opts.contains.columns) && opts.contains.columns.length)) {
        containsText.value = '';
      }
      return reload(true);
    }

    /** Back to the first page; paramsChanged: the answer's columns may differ. */
    function reload(paramsChanged = false) {
      state.cursors = [null];
      if (paramsChanged) {
        const known = new Set(state.columns);
        state.sort = state.sort.filter((s) => known.has(s.replace(/^-/, '')));
      }
      return load();
    }

    async function load() {
      const seq = ++state.seq;
      table.setAttribute('aria-busy', 'true');
      panel.classList.add('loading');
      summary.textContent = 'Loading…';
      errorBox.replaceChildren();
      prev.disabled = true;
      next.disabled = true;
      let data;
      try {
        data = await api(opts.endpoint, query(true), { signal: ctx.signal });
      } catch (e) {
        if (isAbort(e) || seq !== state.seq) return;
        panel.classList.remove('loading');
        table.removeAttribute('aria-busy');
        summary.textContent = '';
        table.replaceChildren();
        panel.classList.add('failed');
        errorBox.replaceChildren(message(errorText(e), 'error'));
        prev.disabled = state.cursors.length <= 1;
        announce(`${opts.title}: ${errorText(e)}`, 'error');
        return;
      }
      if (seq !== state.seq) return;
      panel.classList.remove('failed');
      state.last = data;
      state.columns = data.columns;
      render(data);
      panel.classList.remove('loading');
      table.removeAttribute('aria-busy');
      announce(`${opts.title}: ${summary.textContent}`);
    }

    function updateContainsColumns(data) {
      if (!containsCol || (Array.isArray(opts.contains.columns) && opts.contains.columns.length)) return;
      const first = data.rows[0] || {};
      const cols = data.columns.filter((c) => !hide.test(c) && (first[c] === undefined || first[c] === null || typeof first[c] === 'string'));
      const key = cols.join(',');
      if (key === state.textColumns.join(',')) return;
      state.textColumns = cols;
      const keep = containsCol.value;
      containsCol.replaceChildren(...cols.map((c) => h('option', { value: c }, label(c))));
      if (cols.includes(keep)) containsCol.value = keep;
    }

    function render(data) {
      updateContainsColumns(data);
      const cols = data.columns.filter((c) => !hide.test(c));
      const sortOf = new Map(state.sort.map((s) => [s.replace(/^-/, ''), s.startsWith('-') ? 'descending' : 'ascending']));
      const headRow = h('tr');
      const first = data.rows[0] || {};
      for (const c of cols) {
        const dir = sortOf.get(c);
        const btn = h('button', { type: 'button', class: 'sort', 'data-col': c }, label(c),
          h('span', { class: 'arrow', 'aria-hidden': 'true' }, dir === 'ascending' ? ' ▲' : dir === 'descending' ? ' ▼' : ''));
        btn.title = `Sort by ${label(c)}`;
        btn.addEventListener('click', () => {
          const cur = sortOf.get(c);
          let nextSort;
          if (cur === 'ascending') nextSort = `-${c}`;
          else if (cur === 'descending') nextSort = c;
          else nextSort = typeof first[c] === 'number' ? `-${c}` : c;
          state.sort = [nextSort];
          reload().then(() => {
            const again = table.querySelector(`th button[data-col="${CSS.escape(c)}"]`);
            if (again) again.focus();
          });
        });
        headRow.append(h('th', { scope: 'col', 'aria-sort': dir || 'none', 'data-col': c, class: typeof first[c] === 'number' && !isIdColumn(c) ? 'num' : null }, btn));
      }
      const body = h('tbody');
      for (const row of data.rows) {
        const tr = h('tr');
        for (const c of cols) {
          const v = row[c];
          const custom = opts.render && opts.render[c];
          const content = custom ? custom(v, row) : cellContent(v, c);
          const cls = cellClass(v, c);
          const boxed = /\b(url|long|text)\b/.test(cls) ? h('div', { class: 'cell' }, content) : content;
          const td = h('td', { 'data-col': c, class: cls || null }, boxed);
          if (typeof v === 'string' && v.length > 40 && !isUrlColumn(c)) td.title = v;
          tr.append(td);
        }
        body.append(tr);
      }
      if (!data.rows.length) {
        body.append(h('tr', { class: 'empty' }, h('td', { colspan: String(Math.max(cols.length, 1)) }, opts.empty || 'No rows match.')));
      }
      table.replaceChildren(h('caption', { class: 'visually-hidden' }, opts.title), h('thead', {}, headRow), body);
      const from = data.total ? data.offset + 1 : 0;
      const to = data.offset + data.rows.length;
      summary.textContent = data.total
        ? `Rows ${INT.format(from)}–${INT.format(to)} of ${INT.format(data.total)}`
        : 'No rows';
      summary.dataset.total = String(data.total);
      summary.dataset.offset = String(data.offset);
      pageInfo.textContent = data.total
        ? `Page ${state.cursors.length} of ${Math.max(1, Math.ceil(data.total / state.limit))}`
        : '';
      prev.disabled = state.cursors.length <= 1;
      next.disabled = !data.next_cursor;
    }

    function showError(e) {
      errorBox.replaceChildren(message(errorText(e), 'error'));
      announce(`${opts.title}: ${errorText(e)}`, 'error');
    }

    return { element: panel, load, reload, state };
  }

  // ---- charts ---------------------------------------------------------------------------------

  function chartTitle(id, svg) {
    try {
      const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
      const t = doc.querySelector('title');
      if (t && t.textContent.trim()) return t.textContent.trim();
    } catch (e) {
      /* fall back to the known titles */
    }
    return CHART_TITLES[id] || label(id.replace(/^chart-/, ''));
  }

  /** A <figure> showing the SVG text as an image (a blob: URL; nothing in it can run). */
  function chart(ctx, id, svg) {
    const title = chartTitle(id, svg);
    const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
    ctx.urls.push(url);
    const img = h('img', { alt: title, src: url, 'data-chart': id, decoding: 'async' });
    return h('figure', { class: 'chart' }, img, h('figcaption', {}, title));
  }

  // ---- views ----------------------------------------------------------------------------------

  function viewHeading(text, sub) {
    return h('div', { class: 'view-head' },
      h('h1', { id: 'view-title', tabindex: '-1' }, text),
      sub ? h('p', { class: 'sub' }, sub) : null);
  }

  function needTarget(main, title) {
    main.append(viewHeading(title), message('Enter a target (a domain such as example.com, a host, a URL or a URL prefix) in the box above and press Enter.'));
  }

  async function viewHome(main, params, ctx) {
    main.append(viewHeading('backlinks', 'Backlink intelligence over your own index.'));
    const statsBox = h('section', { class: 'panel', 'aria-labelledby': 'stats-h' }, h('h2', { id: 'stats-h' }, 'This index'));
    main.append(statsBox);
    const top = dataTable({
      ctx,
      title: 'Top domains',
      name: 'top',
      endpoint: '/top',
      base: () => [['level', 'domain']],
      controls: [{ kind: 'select', label: 'Order by', param: 'by', value: 'rating', options: [['rating', 'rating'], ['pagerank', 'PageRank'], ['trustrank', 'TrustRank'], ['harmonic', 'harmonic centrality']] }],
      contains: { label: 'Name contains', columns: [['name', 'name']] },
      pageSize: 25,
      csvName: 'top-domains',
      render: { name: (v) => h('a', { href: routeHref('overview', [['target', v]]) }, String(v)) },
    });
    main.append(top.element);
    top.load();
    try {
      const s = await api('/stats', [], { signal: ctx.signal });
      const figs = [['pages', 'Pages'], ['links', 'Links'], ['followed_links', 'Followed links'], ['hosts', 'Hosts'], ['domains', 'Domains'], ['snapshots', 'Snapshots']];
      statsBox.append(figures(figs.map(([k, l]) => [k, l, s[k]])));
    } catch (e) {
      if (!isAbort(e)) statsBox.append(message(errorText(e), 'error'));
    }
  }

  function figures(items) {
    const dl = h('dl', { class: 'figures' });
    for (const [key, name, value, fmt] of items) {
      let shown = '—';
      if (value !== null && value !== undefined) shown = fmt ? fmt(value) : typeof value === 'number' ? fmtNumber(value) : String(value);
      dl.append(h('div', { class: 'figure', 'data-figure': key }, h('dt', {}, name), h('dd', {}, shown)));
    }
    return dl;
  }

  async function viewOverview(main, params, ctx) {
    const target = params.get('target');
    if (!target) return needTarget(main, 'Overview');
    main.append(viewHeading(`Overview of ${target}`));
    const figBox = h('section', { class: 'panel', 'aria-labelledby': 'fig-h' }, h('h2', { id: 'fig-h' }, 'Summary'), h('p', { class: 'loading-note' }, 'Loading…'));
    const chartBox = h('section', { class: 'panel', 'aria-labelledby': 'charts-h' }, h('h2', { id: 'charts-h' }, 'Charts'), h('p', { class: 'loading-note' }, 'Loading…'));
    main.append(figBox, chartBox);
    announce(`Loading the profile of ${target}…`);
    const [profile, charts] = await Promise.allSettled([
      api('/profile', [['target', target], ['top', 10]], { signal: ctx.signal }),
      api('/charts', [['target', target]], { signal: ctx.signal }),
    ]);
    if (ctx.signal.aborted) return;
    figBox.querySelector('.loading-note').remove();
    chartBox.querySelector('.loading-note').remove();
    if (profile.status === 'fulfilled') {
      const s = profile.value.summary || {};
      const pct = (v) => `${(v * 100).toFixed(1)} %`;
      figBox.append(figures([
        ['rating', 'Domain rating', s.rating, (v) => DEC.format(v)],
        ['backlinks', 'Backlinks', s.backlinks],
        ['referring_domains', 'Referring domains', s.referring_domains],
        ['referring_pages', 'Referring pages', s.referring_pages],
        ['followed_share', 'Followed share', s.followed_share, pct],
      ]));
      const more = [
        ['Referring hosts', s.referring_hosts],
        ['Followed backlinks', s.followed_backlinks],
        ['PageRank', s.pagerank],
        ['First seen', s.first_seen],
        ['Last seen', s.last_seen],
        ['Snapshots', s.snapshots],
      ].filter(([, v]) => v !== undefined);
      figBox.append(h('dl', { class: 'facts' }, more.map(([k, v]) => [
        h('dt', {}, k),
        h('dd', {}, v === null ? '—' : typeof v === 'number' ? fmtNumber(v) : String(v).replace('T', ' ')),
      ])));
      announce(`Profile of ${target} loaded.`);
    } else if (!isAbort(profile.reason)) {
      figBox.append(message(errorText(profile.reason), 'error'));
      announce(errorText(profile.reason), 'error');
    }
    if (charts.status === 'fulfilled') {
      const grid = h('div', { class: 'charts' });
      for (const [id, svg] of Object.entries(charts.value)) grid.append(chart(ctx, id, svg));
      chartBox.append(grid);
    } else if (!isAbort(charts.reason)) {
      chartBox.append(message(errorText(charts.reason), 'error'));
    }
  }

  const linkTextColumns = ['anchor', 'source_url', 'target_url', 'source_domain'];
  const linkColumns = [
    [linkTextColumns.join('|'), 'any text column'],
    ['anchor', 'anchor'], ['source_url', 'source URL'], ['target_url', 'target URL'], ['source_domain', 'source domain'],
  ];

  function viewBacklinks(main, params, ctx) {
    const target = params.get('target');
    if (!target) return needTarget(main, 'Backlinks');
    main.append(viewHeading(`Backlinks of ${target}`, 'One row per distinct link, with when it was first and last seen.'));
    const t = dataTable({
      ctx,
      title: 'Backlinks',
      name: 'links',
      endpoint: '/links',
      base: () => [['target', target]],
      contains: { label: 'Anchor / URL contains', columns: linkColumns },
      controls: [
        { kind: 'select', label: 'Section', filter: 'section', value: '', options: [['', 'any section'], ...SECTIONS.map((s) => [s, s])] },
        { kind: 'select', label: 'Follow', filter: 'nofollow', value: '', options: [['', 'follow and nofollow'], ['false', 'followed only'], ['true', 'nofollow only']] },
        { kind: 'checkbox', label: 'Include internal links', param: 'internal', value: false },
      ],
      csvName: `backlinks-${target}`,
    });
    main.append(t.element);
    return t.load();
  }

  function viewDomains(main, params, ctx) {
    const target = params.get('target');
    if (!target) return needTarget(main, 'Referring domains');
    main.append(viewHeading(`Referring domains of ${target}`));
    const t = dataTable({
      ctx,
      title: 'Referring domains',
      name: 'referring-domains',
      endpoint: '/referring-domains',
      base: () => [['target', target]],
      contains: { label: 'Domain contains', columns: [['domain', 'domain']] },
      csvName: `referring-domains-${target}`,
      render: { domain: (v) => h('a', { href: routeHref('overview', [['target', v]]) }, String(v)) },
    });
    main.append(t.element);
    return t.load();
  }

  function viewAnchors(main, params, ctx) {
    const target = params.get('target');
    if (!target) return needTarget(main, 'Anchors');
    main.append(viewHeading(`Anchor texts of ${target}`));
    const classes = dataTable({
      ctx,
      title: 'Anchor classes',
      name: 'anchors-class',
      endpoint: '/anchors',
      base: () => [['target', target], ['by', 'class']],
      csvName: `anchor-classes-${target}`,
      pageSize: 25,
    });
    const texts = dataTable({
      ctx,
      title: 'Anchor texts',
      name: 'anchors-text',
      endpoint: '/anchors',
      base: () => [['target', target], ['by', 'text']],
      contains: { label: 'Anchor contains', columns: [['anchor', 'anchor']] },
      controls: [{ kind: 'select', label: 'Class', filter: 'anchor_class', value: '', options: [['', 'any class'], ...['branded', 'exact', 'partial', 'url', 'generic', 'image', 'other'].map((c) => [c, c])] }],
      csvName: `anchors-${target}`,
    });
    main.append(classes.element, texts.element);
    return Promise.all([classes.load(), texts.load()]);
  }

  /** Every snapshot of the index (ids as the strings the API sends), oldest first. */
  async function snapshotList(ctx) {
    const rows = [];
    let cursor = null;
    do {
      const page = await api('/snapshots', [['limit', 1000], ['cursor', cursor]], { signal: ctx.signal });
      rows.push(...page.rows);
      cursor = page.next_cursor;
    } while (cursor);
    return rows;
  }

  /** "2024-05-29 · crawl-2.warc.gz": the snapshot's start date and source file name. */
  function snapshotLabel(s) {
    const date = s.started_at ? String(s.started_at).slice(0, 10) : 'no date';
    const parts = String(s.source || '').split(/[\\/]+/).filter(Boolean);
    return `${date} · ${parts.length ? parts[parts.length - 1] : 'unknown source'}`;
  }

  /** [value, label] options for the snapshot selects, labels made unique with the id. */
  function snapshotOptions(snaps) {
    const labels = snaps.map(snapshotLabel);
    const seen = new Map();
    for (const l of labels) seen.set(l, (seen.get(l) || 0) + 1);
    return snaps.map((s, i) => {
      const id = idText(s.snapshot_id);
      return [id, seen.get(labels[i]) > 1 ? `${labels[i]} (${id})` : labels[i]];
    });
  }

  /** The default pair: the last two snapshots holding links (the API's own default), else
   * the last two. */
  function defaultPair(snaps) {
    const withLinks = snaps.filter((s) => !(typeof s.links === 'number' && s.links <= 0));
    const pool = withLinks.length >= 2 ? withLinks : snaps;
    if (!pool.length) return [null, null];
    const last = idText(pool[pool.length - 1].snapshot_id);
    return [pool.length >= 2 ? idText(pool[pool.length - 2].snapshot_id) : last, last];
  }

  async function viewHistory(main, params, ctx) {
    const target = params.get('target');
    if (!target) return needTarget(main, 'New & lost');
    main.append(viewHeading(`New and lost backlinks of ${target}`, 'Between two snapshots of the index: the last two unless you choose others.'));
    const chartBox = h('section', { class: 'panel', 'aria-labelledby': 'vel-h' }, h('h2', { id: 'vel-h' }, 'Velocity'));
    const timeline = dataTable({
      ctx,
      title: 'Timeline per snapshot',
      name: 'timeline',
      endpoint: '/timeline',
      base: () => [['target', target]],
      hide: /^$/, // the snapshot ids too: they are the from/to values below
      csvName: `timeline-${target}`,
      pageSize: 25,
    });
    const changesBox = h('div', {}, h('section', { class: 'panel' }, h('p', { class: 'loading-note' }, 'Loading the snapshots…')));
    main.append(timeline.element, chartBox, changesBox);
    const charts = api('/charts', [['target', target]], { signal: ctx.signal }).then((all) => {
      const svg = all['chart-velocity'];
      chartBox.append(svg ? h('div', { class: 'charts one' }, chart(ctx, 'chart-velocity', svg)) : message('No velocity chart for this target.'));
    }).catch((e) => {
      if (!isAbort(e)) chartBox.append(message(errorText(e), 'error'));
    });
    const pending = [timeline.load(), charts];

    let snaps = null;
    let snapError = null;
    try {
      snaps = await snapshotList(ctx);
    } catch (e) {
      if (isAbort(e)) return Promise.all(pending);
      snapError = e;
    }
    if (ctx.signal.aborted) return Promise.all(pending);

    const controls = [];
    const note = h('p', { class: 'msg', 'data-role': 'pair-note', 'aria-live': 'polite', hidden: true });
    let pick = null;
    if (snaps && snaps.length) {
      const options = snapshotOptions(snaps);
      const known = new Set(options.map(([v]) => v));
      const [defFrom, defTo] = defaultPair(snaps);
      pick = {
        from: known.has(params.get('from')) ? params.get('from') : defFrom,
        to: known.has(params.get('to')) ? params.get('to') : defTo,
        order: new Map(options.map(([v], i) => [v, i])),
        count: snaps.length,
      };
      const changed = (key) => (value) => {
        pick[key] = value;
        updateNote();
        // the choice in the address (shareable), without re-rendering the view
        window.history.replaceState(null, '', routeHref('history', [['target', target], ['from', pick.from], ['to', pick.to]]));
      };
      controls.push(
        { kind: 'select', label: 'From snapshot', param: 'from', value: pick.from, options, onChange: changed('from') },
        { kind: 'select', label: 'To snapshot', param: 'to', value: pick.to, options, onChange: changed('to') },
      );
    }
    controls.push({ kind: 'select', label: 'Change', filter: 'change', value: '', options: [['', 'new and lost'], ['new', 'new'], ['lost', 'lost']] });

    function updateNote() {
      let text = '';
      if (pick && pick.count < 2) text = 'The index has one snapshot: nothing can be new or lost yet.';
      else if (pick && pick.from === pick.to) text = 'The same snapshot twice: nothing is new or lost.';
      else if (pick && pick.order.get(pick.from) > pick.order.get(pick.to)) {
        text = '“From” is later than “to”: the lists swap, links lost in between show as new and links gained as lost.';
      }
      note.textContent = text;
      note.hidden = !text;
    }

    const changes = dataTable({
      ctx,
      title: 'New and lost links',
      name: 'new-lost',
      endpoint: '/new-lost',
      base: () => [['target', target]],
      contains: { label: 'Anchor / URL contains', columns: linkColumns },
      controls,
      csvName: `new-lost-${target}`,
    });
    const toolbar = changes.element.querySelector('form.toolbar');
    toolbar.after(note);
    if (snapError) toolbar.after(message(`The snapshots could not be listed (${errorText(snapError)}): showing the last two.`, 'warn'));
    updateNote();
    changesBox.replaceChildren(changes.element);
    pending.push(changes.load());
    return Promise.all(pending);
  }

  function viewToxic(main, params, ctx) {
    const target = params.get('target');
    if (!target) return needTarget(main, 'Toxic links');
    main.append(viewHeading(`Toxic backlinks of ${target}`, 'Scored 0–100 with the reasons; most toxic first.'));
    const t = dataTable({
      ctx,
      title: 'Toxic links',
      name: 'toxic',
      endpoint: '/toxic',
      base: () => [['target', target]],
      contains: { label: 'Contains' },
      controls: [
        { kind: 'select', label: 'By', param: 'by', value: 'link', options: [['link', 'each link'], ['domain', 'each referring domain']] },
        { kind: 'number', label: 'Minimum score', param: 'min_score', value: '50', min: 0, max: 100, step: 1 },
      ],
      csvName: `toxic-${target}`,
    });
    const chartBox = h('section', { class: 'panel', 'aria-labelledby': 'tox-h' }, h('h2', { id: 'tox-h' }, 'Toxic-score distribution'));
    const minScore = h('input', { type: 'number', min: 0, max: 100, step: 1, value: '60', inputmode: 'decimal' });
    const disavowBtn = h('button', { type: 'button', 'data-action': 'disavow' }, 'Download disavow file');
    const previewBtn = h('button', { type: 'button', class: 'secondary', 'data-action': 'disavow-preview' }, 'Preview entries');
    const disavowMsg = h('div', { class: 'error-box' });
    const previewBox = h('div');
    const disavowBox = h('section', { class: 'panel', 'aria-labelledby': 'dis-h' },
      h('h2', { id: 'dis-h' }, 'Disavow file'),
      h('p', { class: 'intro' }, 'A Google disavow file for the links scoring at least the minimum (whole domains when most of their links are toxic). Review it before uploading.'),
      h('div', { class: 'toolbar' }, field('Minimum score', minScore).wrap, h('div', { class: 'field actions' }, disavowBtn, previewBtn)),
      disavowMsg, previewBox);
    disavowBtn.addEventListener('click', async () => {
      disavowBtn.disabled = true;
      disavowMsg.replaceChildren();
      try {
        await download('/disavow', [['target', target], ['min_score', minScore.value]], 'disavow.txt');
      } catch (e) {
        if (!isAbort(e)) {
          disavowMsg.replaceChildren(message(errorText(e), 'error'));
          announce(errorText(e), 'error');
        }
      } finally {
        disavowBtn.disabled = false;
      }
    });
    previewBtn.addEventListener('click', () => {
      const preview = dataTable({
        ctx,
        title: 'Disavow entries',
        name: 'disavow-preview',
        endpoint: '/disavow',
        base: () => [['target', target], ['min_score', minScore.value], ['preview', 'true']],
        csvName: `disavow-${target}`,
        pageSize: 25,
      });
      previewBox.replaceChildren(preview.element);
      preview.load();
    });
    main.append(t.element, chartBox, disavowBox);
    api('/toxic-chart', [['target', target]], { signal: ctx.signal }).then((all) => {
      const grid = h('div', { class: 'charts one' });
      for (const [id, svg] of Object.entries(all)) grid.append(chart(ctx, id, svg));
      chartBox.append(grid);
    }).catch((e) => {
      if (!isAbort(e)) chartBox.append(message(errorText(e), 'error'));
    });
    return t.load();
  }

  function viewCompetitors(main, params, ctx) {
    const target = params.get('target') || '';
    const me = params.get('me') || target;
    const competitors = params.getAll('competitor');
    const minComp = params.get('min') || '1';
    main.append(viewHeading('Competitors', 'Domains that link to your competitors but not to you (intersect), and the competitor pages they link to (gap).'));
    const meInput = h('input', { type: 'text', required: true, value: me, spellcheck: 'false', name: 'me' });
    const compInput = h('textarea', { rows: '4', required: true, spellcheck: 'false', name: 'competitors' });
    compInput.value = competitors.join('\n');
    const minInput = h('input', { type: 'number', min: 1, max: 20, step: 1, value: minComp, name: 'min' });
    const form = h('form', { class: 'panel form-grid', 'aria-label': 'Competitor analysis' },
      field('Me (domain, host or URL)', meInput).wrap,
      field('Competitors (one per line)', compInput, 'Up to 20.').wrap,
      field('Linking to at least this many competitors', minInput).wrap,
      h('div', { class: 'field actions' }, h('button', { type: 'submit' }, 'Compare')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const pairs = [];
      if (target) pairs.push(['target', target]);
      pairs.push(['me', meInput.value.trim()]);
      for (const c of lines(compInput.value)) pairs.push(['competitor', c]);
      pairs.push(['min', minInput.value || '1']);
      navigate('competitors', pairs);
    });
    main.append(form);
    if (!me || !competitors.length) {
      main.append(message('Enter your site and at least one competitor.'));
      return null;
    }
    const base = () => [['me', me], ...competitors.map((c) => ['competitor', c])];
    const intersect = dataTable({
      ctx,
      title: 'Link intersect',
      name: 'intersect',
      endpoint: '/intersect',
      base: () => [...base(), ['min_competitors', minComp]],
      contains: { label: 'Domain contains', columns: [['domain', 'domain'], ['which', 'competitors'], ['example_url', 'example URL']] },
      csvName: `intersect-${me}`,
      empty: 'No domain links to the competitors without linking to you.',
    });
    const gap = dataTable({
      ctx,
      title: 'Content gap',
      name: 'gap',
      endpoint: '/gap',
      base,
      contains: { label: 'Contains', columns: [['target_url', 'competitor page'], ['competitor', 'competitor'], ['best_domain', 'best domain']] },
      csvName: `gap-${me}`,
      empty: 'No competitor page has referring domains you lack.',
    });
    main.append(intersect.element, gap.element);
    return Promise.all([intersect.load(), gap.load()]);
  }

  function viewWhatif(main, params, ctx) {
    const target = params.get('target') || '';
    main.append(viewHeading('What-if', 'How would PageRank and rating change if these pages, hosts or domains linked to the target?'));
    const fromInput = h('textarea', { rows: '4', required: true, spellcheck: 'false', name: 'from' });
    fromInput.value = params.getAll('from').join('\n');
    const toInput = h('input', { type: 'text', required: true, spellcheck: 'false', value: params.get('to') || target, name: 'to' });
    const levelInput = select([['domain', 'domain'], ['host', 'host'], ['page', 'page']], params.get('level') || 'domain');
    const queryInput = h('input', { type: 'text', spellcheck: 'false', value: params.get('query') || '', name: 'query' });
    const form = h('form', { class: 'panel form-grid', 'aria-label': 'What-if' },
      field('Linking from (one per line)', fromInput, 'Pages, hosts or domains; up to 50.').wrap,
      field('Linking to', toInput).wrap,
      field('Level', levelInput).wrap,
      field('Search query (optional)', queryInput, 'Also the target’s position for this search (level page or domain).').wrap,
      h('div', { class: 'field actions' }, h('button', { type: 'submit' }, 'Simulate')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const pairs = [];
      if (target) pairs.push(['target', target]);
      for (const f of lines(fromInput.value)) pairs.push(['from', f]);
      pairs.push(['to', toInput.value.trim()], ['level', levelInput.value]);
      if (queryInput.value.trim()) pairs.push(['query', queryInput.value.trim()]);
      navigate('whatif', pairs);
    });
    const result = h('section', { class: 'panel', 'aria-labelledby': 'wi-h' }, h('h2', { id: 'wi-h' }, 'Result'));
    main.append(form);
    const sources = params.getAll('from');
    const to = params.get('to');
    if (!sources.length || !to) return null;
    main.append(result);
    const note = h('p', { class: 'loading-note' }, 'Simulating… (a PageRank run over the whole graph)');
    result.append(note);
    const q = [...sources.map((s) => ['from', s]), ['to', to], ['level', params.get('level') || 'domain'], ['query', params.get('query')]];
    return api('/whatif', q, { signal: ctx.signal }).then((r) => {
      note.remove();
      append(result, [whatifTable(r)]);
      announce('What-if result ready.');
    }).catch((e) => {
      if (isAbort(e)) return;
      note.remove();
      result.append(message(errorText(e), 'error'));
      announce(errorText(e), 'error');
    });
  }

  function whatifTable(r) {
    const rows = [['PageRank', 'pagerank'], ['Rating', 'rating'], ['Search position', 'position'], ['Search score', 'score'], ['Search authority', 'authority']];
    const body = h('tbody');
    for (const [name, key] of rows) {
      const before = r[`${key}_before`];
      const after = r[`${key}_after`];
      if (before === undefined && after === undefined) continue;
      let delta = r[`${key}_delta`] ?? r[`${key}_change`];
      if (delta === undefined && typeof before === 'number' && typeof after === 'number') delta = after - before;
      const sign = typeof delta === 'number' && delta > 0 ? '+' : '';
      // a search position gets better as it goes down
      const good = typeof delta === 'number' && delta !== 0 && (key === 'position' ? delta < 0 : delta > 0);
      const bad = typeof delta === 'number' && delta !== 0 && !good;
      body.append(h('tr', { 'data-metric': key },
        h('th', { scope: 'row' }, name),
        h('td', { class: 'num', 'data-col': 'before' }, cellContent(before, key)),
        h('td', { class: 'num', 'data-col': 'after' }, cellContent(after, key)),
        h('td', { class: `num${good ? ' up' : bad ? ' down' : ''}`, 'data-col': 'delta' },
          typeof delta === 'number' ? sign + fmtNumber(delta) : cellContent(delta, key))));
    }
    const table = h('table', { class: 'data whatif' },
      h('caption', {}, `${r.target || ''} (${r.level || ''} level)`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Metric'), h('th', { scope: 'col', class: 'num' }, 'Before'), h('th', { scope: 'col', class: 'num' }, 'After'), h('th', { scope: 'col', class: 'num' }, 'Change'))),
      body);
    const facts = [];
    if (r.new_edges !== undefined) facts.push(['New links in the graph', r.new_edges]);
    if (r.iterations !== undefined) facts.push(['PageRank iterations', r.iterations]);
    if (r.matches !== undefined) facts.push(['Pages matching the query', r.matches]);
    return [h('div', { class: 'table-wrap' }, table), h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, cellContent(v, k))]))];
  }

  // ---- jobs -----------------------------------------------------------------------------------

  async function viewJobs(main, params, ctx) {
    main.append(viewHeading('Jobs', 'Ingest and rank in the background; the list refreshes every 2 seconds while a job runs.'));
    const msgBox = h('div', { class: 'error-box', 'aria-live': 'polite' });
    const levels = ['page', 'host', 'domain'].map((l) => h('input', { type: 'checkbox', checked: true, value: l, id: nextId('lvl') }));
    const rankBtn = h('button', { type: 'submit', 'data-action': 'rank' }, 'Start rank job');
    const rankForm = h('form', { class: 'panel', 'aria-labelledby': 'rank-h' },
      h('h2', { id: 'rank-h' }, 'Rank'),
      h('p', { class: 'intro' }, 'Compute PageRank, rating and harmonic centrality into the index.'),
      h('fieldset', { class: 'inline' }, h('legend', {}, 'Levels'),
        levels.map((cb) => h('span', { class: 'check' }, cb, h('label', { for: cb.id }, cb.value)))),
      rankBtn);
    const paths = h('textarea', { rows: '3', required: true, spellcheck: 'false', name: 'paths' });
    const ingestForm = h('form', { class: 'panel', 'aria-labelledby': 'ingest-h' },
      h('h2', { id: 'ingest-h' }, 'Ingest'),
      field('Paths on the server (one per line)', paths, 'WARC/WAT files, folders or globs, e.g. /data/crawl/*.warc.gz').wrap,
      h('button', { type: 'submit', 'data-action': 'ingest' }, 'Start ingest job'));
    const listBox = h('section', { class: 'panel', 'aria-labelledby': 'jobs-h' }, h('h2', { id: 'jobs-h' }, 'Jobs of this server run'));
    const listBody = h('div', { class: 'table-wrap', role: 'region', 'aria-labelledby': 'jobs-h', tabindex: '0' });
    listBox.append(listBody);
    main.append(msgBox, h('div', { class: 'two-col' }, rankForm, ingestForm), listBox);

    let timer = null;
    let readOnly = false;
    try {
      const health = await api('/health', [], { signal: ctx.signal });
      readOnly = Boolean(health.read_only);
    } catch (e) {
      if (isAbort(e)) return;
    }
    if (readOnly) {
      msgBox.replaceChildren(message('This server is read-only: it cannot start jobs.', 'warn'));
      for (const el of [...rankForm.elements, ...ingestForm.elements]) el.disabled = true;
    }

    async function refresh() {
      let jobs;
      try {
        jobs = await api('/jobs', [], { signal: ctx.signal });
      } catch (e) {
        if (isAbort(e)) return;
        listBody.replaceChildren(message(errorText(e), 'error'));
        return;
      }
      if (ctx.signal.aborted) return;
      renderJobs(jobs);
      const active = jobs.some((j) => j.state === 'queued' || j.state === 'running');
      if (active && !timer) {
        timer = setInterval(refresh, JOB_POLL_MS);
        ctx.timers.push(timer);
      } else if (!active && timer) {
        clearInterval(timer);
        timer = null;
      }
    }

    function renderJobs(jobs) {
      if (!jobs.length) {
        listBody.replaceChildren(message('No jobs yet.'));
        return;
      }
      const body = h('tbody');
      for (const j of jobs) {
        const running = j.state === 'running' || j.state === 'queued';
        const prog = h('progress', { max: '1', 'aria-label': `Progress of ${j.id}` });
        if (j.fraction !== null && j.fraction !== undefined) prog.value = j.fraction;
        else if (j.state === 'done') prog.value = 1;
        else if (!running) prog.value = 0;
        // a running job without a fraction stays indeterminate (no value)
        const amount = j.total ? `${fmtNumber(j.done)} / ${fmtNumber(j.total)} ${j.unit || ''}` : j.done ? `${fmtNumber(j.done)} ${j.unit || ''}` : '';
        let outcome = '';
        if (j.error) outcome = h('span', { class: 'bad' }, j.error);
        else if (j.result) outcome = h('ul', { class: 'result' }, resultLines(j.result).map((t) => h('li', {}, t)));
        const cancel = running
          ? h('button', { type: 'button', class: 'secondary small', 'data-action': 'cancel', onclick: () => cancelJob(j.id) }, 'Cancel')
          : null;
        if (cancel) cancel.setAttribute('aria-label', `Cancel job ${j.id}`);
        body.append(h('tr', { 'data-job': j.id, 'data-state': j.state },
          h('td', { 'data-col': 'id' }, j.id),
          h('td', { 'data-col': 'kind' }, j.kind),
          h('td', { 'data-col': 'state' }, h('span', { class: `badge ${j.state}` }, j.state)),
          h('td', { 'data-col': 'progress', class: 'progress-cell' }, prog, h('span', { class: 'muted' }, j.fraction !== null && j.fraction !== undefined ? ` ${Math.round(j.fraction * 100)} %` : '')),
          h('td', { 'data-col': 'message', class: 'long' }, [j.message || '', amount ? h('span', { class: 'muted' }, ` (${amount.trim()})`) : null]),
          h('td', { 'data-col': 'created_at' }, String(j.created_at || '').replace('T', ' ').replace(/\+00:00$/, ' UTC')),
          h('td', { 'data-col': 'result', class: 'long' }, outcome),
          h('td', {}, cancel)));
      }
      listBody.replaceChildren(h('table', { class: 'data jobs' },
        h('caption', { class: 'visually-hidden' }, 'Jobs'),
        h('thead', {}, h('tr', {}, ['Job', 'Kind', 'State', 'Progress', 'Message', 'Created', 'Result', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
        body));
    }

    async function submit(path, body, button) {
      button.disabled = true;
      msgBox.replaceChildren();
      try {
        const job = await api(path, [], { method: 'POST', body, signal: ctx.signal });
        announce(`Started job ${job.id}.`);
        await refresh();
      } catch (e) {
        if (isAbort(e)) return;
        msgBox.replaceChildren(message(errorText(e), 'error'));
        announce(errorText(e), 'error');
      } finally {
        button.disabled = readOnly;
      }
    }

    async function cancelJob(id) {
      try {
        await api(`/jobs/${encodeURIComponent(id)}/cancel`, [], { method: 'POST', signal: ctx.signal });
        announce(`Cancelling job ${id}.`);
      } catch (e) {
        if (isAbort(e)) return;
        msgBox.replaceChildren(message(errorText(e), 'error'));
      }
      await refresh();
    }

    rankForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const chosen = levels.filter((cb) => cb.checked).map((cb) => cb.value);
      if (!chosen.length) {
        msgBox.replaceChildren(message('Choose at least one level to rank.', 'error'));
        return;
      }
      submit('/jobs/rank', { levels: chosen }, rankBtn);
    });
    ingestForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const list = lines(paths.value);
      if (!list.length) return;
      submit('/jobs/ingest', { paths: list }, ingestForm.querySelector('button'));
    });
    await refresh();
  }

  /** A job's result as short lines: "snapshot ID: -1607686971398805729", "seconds: 1.06",
   * "level page, nodes 337, ...". Ids (JSON strings beyond 2**53) are shown as sent. */
  function resultLines(result) {
    const scalar = (v, k) => (isIdColumn(k) && idText(v) !== null ? idText(v) : typeof v === 'number' ? fmtNumber(v) : String(v));
    const lines = [];
    for (const [k, v] of Object.entries(result || {})) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && !Object.keys(v).length) continue;
      if (Array.isArray(v)) {
        for (const item of v.slice(0, 10)) {
          if (item && typeof item === 'object') {
            lines.push(Object.entries(item)
              .filter(([, x]) => x !== null && typeof x !== 'object')
              .map(([a, x]) => `${label(a)} ${scalar(x, a)}`).join(', '));
          } else lines.push(`${label(k)}: ${scalar(item, k)}`);
        }
      } else if (v !== null && typeof v === 'object') lines.push(`${label(k)}: ${JSON.stringify(v)}`);
      else lines.push(`${label(k)}: ${v === null ? '—' : scalar(v, k)}`);
    }
    return lines;
  }

  function viewNotFound(main) {
    main.append(viewHeading('Not found'), message('There is no such view.', 'error'),
      h('p', {}, h('a', { href: '#/' }, 'Back to the start')));
  }

  const VIEWS = {
    '': viewHome,
    overview: viewOverview,
    backlinks: viewBacklinks,
    domains: viewDomains,
    anchors: viewAnchors,
    history: viewHistory,
    toxic: viewToxic,
    competitors: viewCompetitors,
    whatif: viewWhatif,
    jobs: viewJobs,
  };
  const TARGETLESS = new Set(['', 'jobs']);

  // ---- routing --------------------------------------------------------------------------------

  function parseHash() {
    const raw = window.location.hash.replace(/^#\/?/, '');
    const i = raw.indexOf('?');
    let view = i < 0 ? raw : raw.slice(0, i);
    try {
      view = decodeURIComponent(view);
    } catch (e) {
      /* keep it raw: it will be "not found" */
    }
    view = view.replace(/\/+$/, '');
    return { view, params: new URLSearchParams(i < 0 ? '' : raw.slice(i + 1)) };
  }

  function routeHref(view, pairs) {
    const q = new URLSearchParams();
    for (const [k, v] of pairs || []) if (v !== null && v !== undefined && v !== '') q.append(k, String(v));
    const s = q.toString();
    return `#/${view}${s ? `?${s}` : ''}`;
  }

  function navigate(view, pairs) {
    const next = routeHref(view, pairs);
    if (window.location.hash === next) route();
    else window.location.hash = next;
  }

  let ctx = null;

  function newContext() {
    if (ctx) {
      ctx.controller.abort();
      for (const t of ctx.timers) clearInterval(t);
      for (const u of ctx.urls) URL.revokeObjectURL(u);
    }
    const controller = new AbortController();
    ctx = { controller, signal: controller.signal, timers: [], urls: [] };
    return ctx;
  }

  function updateNav(view, target) {
    for (const a of document.querySelectorAll('#nav a[data-view]')) {
      const v = a.dataset.view;
      a.setAttribute('href', routeHref(v, target ? [['target', target]] : []));
      if (v === view) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  }

  let needToken = false;
  let firstRender = true;

  async function route() {
    if (needToken) return;
    const { view, params } = parseHash();
    const target = (params.get('target') || '').trim();
    const input = document.getElementById('target-input');
    if (document.activeElement !== input || firstRender) input.value = target;
    updateNav(view, target);
    const title = VIEW_TITLES[view];
    document.title = `${title || 'Not found'}${target ? ` · ${target}` : ''} · backlinks`;
    const c = newContext();
    announce(title ? `${title}${target ? ` of ${target}` : ''}` : 'No such view');
    const main = document.getElementById('main');
    main.replaceChildren();
    const fn = Object.prototype.hasOwnProperty.call(VIEWS, view) ? VIEWS[view] : viewNotFound;
    const focus = !firstRender;
    firstRender = false;
    try {
      const pending = fn(main, params, c);
      if (focus) {
        const heading = document.getElementById('view-title');
        const active = document.activeElement;
        const fromNav = active && active.closest && active.closest('#nav');
        if (heading && (active === document.body || active === null || fromNav)) heading.focus({ preventScroll: true });
      }
      await pending;
    } catch (e) {
      if (isAbort(e) || c.signal.aborted) return;
      main.append(message(errorText(e), 'error'));
      announce(errorText(e), 'error');
    }
  }

  // ---- the token ------------------------------------------------------------------------------

  function askForToken(why) {
    setToken(null);
    needToken = true;
    if (ctx) ctx.controller.abort();
    const panel = document.getElementById('token-panel');
    const msg = document.getElementById('token-message');
    if (why) {
      msg.textContent = why;
      msg.className = 'msg error';
    }
    panel.hidden = false;
    document.getElementById('main').replaceChildren();
    const input = document.getElementById('token-input');
    input.value = '';
    input.focus();
    announce(why || 'This server needs a token.', why ? 'error' : 'info');
  }

  async function onTokenSubmit(ev) {
    ev.preventDefault();
    const input = document.getElementById('token-input');
    const value = input.value.trim();
    if (!value) return;
    setToken(value);
    needToken = false;
    try {
      await api('/server', []);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) {
        announce(errorText(e), 'error');
      }
      return; // a 401 asked again already
    }
    document.getElementById('token-panel').hidden = true;
    announce('Token accepted.');
    route();
  }

  // ---- start ----------------------------------------------------------------------------------

  async function start() {
    document.getElementById('token-form').addEventListener('submit', onTokenSubmit);
    document.getElementById('skip-link').addEventListener('click', (ev) => {
      ev.preventDefault();
      const main = document.getElementById('main');
      const heading = document.getElementById('view-title');
      (heading || main).focus();
    });
    document.getElementById('target-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const value = document.getElementById('target-input').value.trim();
      if (!value) return;
      const { view, params } = parseHash();
      const keep = Object.prototype.hasOwnProperty.call(VIEWS, view) && !TARGETLESS.has(view) ? view : 'overview';
      const pairs = [['target', value]];
      if (keep === 'competitors' || keep === 'whatif') {
        for (const [k, v] of params) if (k !== 'target' && k !== 'me' && k !== 'to') pairs.push([k, v]);
      }
      navigate(keep, pairs);
    });
    window.addEventListener('hashchange', route);
    let health = null;
    try {
      health = await api('/health', []);
    } catch (e) {
      announce(errorText(e), 'error');
    }
    if (health && health.auth && !token()) {
      const { view, params } = parseHash();
      const target = (params.get('target') || '').trim();
      document.getElementById('target-input').value = target;
      updateNav(view, target);
      askForToken(null);
      return;
    }
    route();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
