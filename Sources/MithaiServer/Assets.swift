/// Stylesheet and script of the pages, and where Chart.js comes from.
enum Assets {
    /// Debian's libjs-chart.js 3.9 (UMD build). Served at /vendor/chart.js/chart.min.js.
    static let chartJSPath = "/usr/share/javascript/chart.js/chart.min.js"

    static let css = #"""
    :root {
      --bg: #07090c; --panel: #0d1117; --panel2: #111821; --line: #1d2935; --text: #c8d3de; --dim: #6c7f92;
      --cyan: #19d3ff; --cyan2: #0a8fb0; --amber: #ffb020; --up: #21d07a; --down: #ff4f5e; --warn: #ffcc33;
      --mono: "DejaVu Sans Mono", "Menlo", "Consolas", monospace;
    }
    * { box-sizing: border-box; }
    html, body { margin: 0; height: 100%; background: var(--bg); color: var(--text); font: 12px/1.35 var(--mono); }
    body { display: flex; flex-direction: column; min-height: 100vh; }
    a { color: var(--cyan); text-decoration: none; }
    header.top { display: flex; align-items: center; gap: 14px; height: 34px; padding: 0 10px; background: #000;
      border-bottom: 1px solid var(--cyan2); white-space: nowrap; }
    .brand { color: var(--amber); font-weight: bold; letter-spacing: 2px; font-size: 13px; }
    .brand b { color: var(--cyan); margin-left: 2px; }
    nav { display: flex; gap: 2px; }
    nav a { color: var(--dim); padding: 5px 10px; border: 1px solid transparent; font-weight: bold; }
    nav a.on, nav a:hover { color: #000; background: var(--cyan); }
    nav a.on kbd, nav a:hover kbd { color: #000; }
    kbd { font: inherit; color: var(--amber); margin-right: 3px; }
    .ticker { color: var(--amber); font-weight: bold; }
    .spacer { flex: 1; }
    .pill { padding: 2px 8px; border: 1px solid var(--dim); color: var(--dim); font-weight: bold; }
    .pill[data-state="running"] { color: #000; background: var(--up); border-color: var(--up); }
    .pill[data-state="preparing"] { color: #000; background: var(--warn); border-color: var(--warn); }
    .pill[data-state="finished"] { color: var(--cyan); border-color: var(--cyan); }
    .pill[data-state="stopped"], .pill[data-state="failed"] { color: #fff; background: var(--down); border-color: var(--down); }
    .clock { color: var(--cyan); font-size: 13px; }
    .conn { color: var(--down); }
    .conn.live { color: var(--up); }
    .banner { background: #3a0d12; color: #ffd7da; border-bottom: 1px solid var(--down); padding: 6px 10px; }
    main { flex: 1; display: grid; gap: 4px; padding: 4px; min-height: 0; }
    .panel { background: var(--panel); border: 1px solid var(--line); padding: 6px 8px; min-width: 0; min-height: 0; overflow: hidden; display: flex; flex-direction: column; }
    h2 { margin: 0 0 4px; font-size: 11px; letter-spacing: 1px; color: var(--amber); font-weight: bold; border-bottom: 1px solid var(--line); padding-bottom: 3px; }
    h2 small { color: var(--dim); font-weight: normal; letter-spacing: 0; margin-left: 6px; }
    h2 + h2, table + h2 { margin-top: 10px; }
    .chart-box { position: relative; flex: 1; min-height: 160px; }
    table { border-collapse: collapse; width: 100%; }
    table.data th, table.ladder th { color: var(--dim); font-weight: normal; text-align: left; padding: 2px 6px; border-bottom: 1px solid var(--line); position: sticky; top: 0; background: var(--panel); }
    table.data td { padding: 2px 5px; border-bottom: 1px solid #121a22; white-space: nowrap; max-width: 420px; overflow: hidden; text-overflow: ellipsis; }
    table.book td { padding: 1px 8px; }
    table.data tbody tr:hover { background: var(--panel2); }
    .n { text-align: right !important; font-variant-numeric: tabular-nums; }
    .up { color: var(--up); } .down { color: var(--down); } .dim { color: var(--dim); } .cy { color: var(--cyan); }
    table.kv th { text-align: left; color: var(--dim); font-weight: normal; padding: 2px 4px; white-space: nowrap; }
    table.kv td { text-align: right; padding: 2px 4px; color: var(--text); font-variant-numeric: tabular-nums; }
    table.kv tr { border-bottom: 1px solid #121a22; }
    .scroll { overflow: auto; flex: 1; }
    /* Market page */
    .grid-index { grid-template-columns: 3fr 2fr; grid-template-rows: auto minmax(260px, 1fr) auto; }
    .grid-index .tiles { grid-column: 1 / -1; flex-direction: row; gap: 4px; padding: 4px; }
    .tile { flex: 1; background: var(--panel2); border-left: 2px solid var(--cyan2); padding: 4px 8px; display: flex; flex-direction: column; }
    .tile label { color: var(--dim); font-size: 10px; letter-spacing: 1px; }
    .tile span { font-size: 18px; color: #fff; font-variant-numeric: tabular-nums; }
    .tile small { color: var(--dim); }
    .grid-index .wide { grid-column: 1 / -1; }
    /* Trading screen */
    .grid-hft { grid-template-columns: 250px minmax(0, 1fr) 370px; grid-template-rows: minmax(0, 1fr) minmax(0, 1fr); height: calc(100vh - 58px); }
    .grid-hft .controls { grid-row: 1 / 3; overflow: auto; }
    .grid-hft .price { grid-column: 2; grid-row: 1; }
    .grid-hft .pnl { grid-column: 2; grid-row: 2; }
    .grid-hft .ladder-panel { grid-column: 3; grid-row: 1; }
    .grid-hft .fills-panel { grid-column: 3; grid-row: 2; }
    form label { display: flex; justify-content: space-between; align-items: center; color: var(--dim); margin: 3px 0; gap: 6px; }
    select, input { background: #000; color: var(--cyan); border: 1px solid var(--line); font: inherit; padding: 3px 4px; width: 140px; }
    select:focus, input:focus { outline: 1px solid var(--cyan); }
    .buttons { display: flex; gap: 6px; margin: 8px 0 6px; }
    button { flex: 1; font: inherit; font-weight: bold; letter-spacing: 1px; padding: 7px 0; cursor: pointer; border: 1px solid; background: #000; }
    button.go { color: var(--up); border-color: var(--up); }
    button.go:hover { background: var(--up); color: #000; }
    button.halt { color: var(--down); border-color: var(--down); }
    button.halt:hover { background: var(--down); color: #000; }
    button:disabled { opacity: .35; cursor: default; }
    .progress { height: 3px; background: var(--line); }
    .progress div { height: 3px; width: 0; background: var(--cyan); }
    .msg { min-height: 16px; margin: 4px 0 8px; color: var(--dim); white-space: normal; }
    .msg.err { color: var(--down); }
    table.ladder td { padding: 1px 6px; position: relative; font-variant-numeric: tabular-nums; text-align: right; }
    table.ladder td.px { color: #fff; text-align: center; background: #0a0f15; }
    table.ladder tr.ask td.px { color: var(--down); }
    table.ladder tr.bid td.px { color: var(--up); }
    table.ladder tr.mid td { color: var(--amber); text-align: center; border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); font-size: 11px; }
    table.ladder td .bar { position: absolute; top: 1px; bottom: 1px; opacity: .22; }
    table.ladder td.bq .bar { right: 0; background: var(--up); }
    table.ladder td.aq .bar { left: 0; background: var(--down); }
    table.ladder td span { position: relative; }
    /* Charts page */
    .grid-charts { grid-template-columns: 1fr 1fr; grid-template-rows: minmax(0, 1fr) minmax(0, 1fr); height: calc(100vh - 58px); }
    .grid-charts select { width: auto; padding: 0 2px; }
    footer.status-line { display: flex; height: 20px; align-items: center; padding: 0 10px; background: #000; border-top: 1px solid var(--line); color: var(--dim); font-size: 11px; }
    @media (max-width: 1180px) {
      main { flex: none; }
      .grid-hft { grid-template-columns: 290px minmax(0, 1fr); grid-template-rows: 300px 280px 340px; height: auto; }
      .grid-hft .controls { grid-row: 1 / 3; }
      .grid-hft .ladder-panel { grid-column: 1; grid-row: 3; }
      .grid-hft .fills-panel { grid-column: 2; grid-row: 3; }
      .grid-charts { grid-template-columns: 1fr; grid-template-rows: repeat(4, 300px); height: auto; }
      .grid-index { grid-template-columns: 1fr; }
      .grid-index .tiles { flex-wrap: wrap; }
      .tile { min-width: 22%; }
    }
    """#

    static let js = #"""
    'use strict';
    (function () {
      const q = new URLSearchParams(location.search);
      if (q.get('token')) sessionStorage.setItem('mithai-token', q.get('token'));
      const token = q.get('token') || sessionStorage.getItem('mithai-token');
      // Counters the browser tests read.
      const M = window.mithai = { price: 0, fills: 0, pnl: 0, depth: 0, status: 0, dropped: 0, opened: 0, errors: [], state: 'idle' };
      const $ = (id) => document.getElementById(id);
      const set = (id, text, cls) => { const e = $(id); if (!e) return; e.textContent = text; if (cls !== undefined) e.className = cls; };
      const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));

      async function api(path, opts) {
        opts = opts || {};
        const headers = Object.assign({}, opts.headers || {});
        if (token) headers.Authorization = 'Bearer ' + token;
        if (opts.body) headers['Content-Type'] = 'application/json';
        const r = await fetch(path, Object.assign({}, opts, { headers }));
        const type = r.headers.get('content-type') || '';
        const body = type.includes('json') ? await r.json() : await r.text();
        if (!r.ok) {
          const e = (body && body.error) || { message: String(body) };
          const err = new Error((e.field ? e.field + ': ' : '') + e.message);
          err.field = e.field; err.status = r.status;
          throw err;
        }
        return body;
      }
      const withToken = (url) => token ? url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : url;

      // Number and time formats.
      const num = (x, d) => (x === null || x === undefined || x === 'nan' || Number.isNaN(x)) ? '—' : Number(x).toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
      const signed = (x, d) => (x === null || x === undefined) ? '—' : (x > 0 ? '+' : '') + num(x, d);
      const cls = (x) => x > 0 ? 'up' : x < 0 ? 'down' : '';
      const pad = (n, w) => String(n).padStart(w, '0');
      function clock(ns) {
        if (ns === null || ns === undefined) return '--:--:--.---';
        const ms = Math.floor(ns / 1e6), d = new Date(ms);
        return pad(d.getUTCHours(), 2) + ':' + pad(d.getUTCMinutes(), 2) + ':' + pad(d.getUTCSeconds(), 2) + '.' + pad(d.getUTCMilliseconds(), 3);
      }
      const dur = (ns) => ns === null || ns === undefined ? '—' : ns >= 1e9 ? (ns / 1e9).toFixed(2) + 's' : ns >= 1e6 ? (ns / 1e6).toFixed(ns >= 1e8 ? 0 : 1) + 'ms' : ns >= 1e3 ? (ns / 1e3).toFixed(1) + 'µs' : ns + 'ns';
      const pct = (x) => x === null || x === undefined ? '—' : (100 * x).toFixed(1) + '%';
      let priceDigits = 2, qtyDigits = 3;
      // Quantities to the lot's precision, trailing zeros past the third decimal dropped (0.00009, 0.001).
      const qty = (x) => x === null || x === undefined ? '—' : Math.abs(x) >= 100 ? num(x, 1) : Math.abs(x) >= 1 ? num(x, 3) : num(x, qtyDigits).replace(/(\.\d{3}\d*?)0+$/, '$1');
      function digitsOf(tick) { const s = String(tick || '0.01'); const i = s.indexOf('.'); return i < 0 ? 0 : s.length - i - 1; }

      // Charts: dark theme, no animation, at most 4 redraws a second.
      function chartSetup() {
        if (!window.Chart) {
          const msg = window.MITHAI_CHART_MISSING || 'Chart.js did not load from /vendor/chart.js (apt-get install libjs-chart.js)';
          const b = $('banner'); b.textContent = msg; b.hidden = false; M.errors.push(msg);
          return false;
        }
        Chart.defaults.color = '#7f93a6';
        Chart.defaults.font.family = '"DejaVu Sans Mono", monospace';
        Chart.defaults.font.size = 10;
        Chart.defaults.borderColor = '#17222d';
        Chart.defaults.animation = false;
        Chart.defaults.maintainAspectRatio = false;
        Chart.defaults.plugins.legend.labels.boxWidth = 10;
        Chart.defaults.plugins.tooltip.backgroundColor = '#000';
        Chart.defaults.plugins.tooltip.borderColor = '#0a8fb0';
        Chart.defaults.plugins.tooltip.borderWidth = 1;
        Chart.defaults.elements.point.radius = 0;
        Chart.defaults.elements.line.borderWidth = 1.2;
        return true;
      }
      const dirty = new Set();
      function redraw(chart) { if (chart) dirty.add(chart); }
      setInterval(() => { for (const c of dirty) c.update('none'); dirty.clear(); }, 250);
      const timeAxis = { type: 'linear', ticks: { maxTicksLimit: 7, callback: (v) => clock(v * 1e6).slice(0, 8) }, grid: { color: '#131c25' } };
      const yAxis = (extra) => Object.assign({ position: 'right', grid: { color: '#131c25' }, ticks: { maxTicksLimit: 7 } }, extra || {});
      const keep = (arr, n) => { if (arr.length > n) arr.splice(0, arr.length - n); };
      // Puts history older than the first live point in front of it.
      const prepend = (arr, pts) => { const cut = arr.length ? arr[0].x : Infinity; arr.unshift(...pts.filter((p) => p.x < cut)); };

      // The update stream, reconnecting with backoff.
      function stream(handlers) {
        let delay = 500, frames = 0;
        setInterval(() => { set('rate', frames + ' msg/s · dropped ' + M.dropped); frames = 0; }, 1000);
        function open() {
          const proto = location.protocol === 'https:' ? 'wss://' : 'ws://';
          const ws = new WebSocket(withToken(proto + location.host + '/ws?channels=status,price,fills,pnl,depth'));
          ws.onopen = () => { M.opened++; delay = 500; $('conn').className = 'conn live'; set('status-line', 'stream connected'); };
          ws.onmessage = (ev) => {
            const m = JSON.parse(ev.data);
            frames++;
            M.dropped += m.dropped || 0;
            const h = handlers[m.type];
            if (m.type === 'fill') M.fills++; else M[m.type] = (M[m.type] || 0) + 1;
            if (m.type === 'status') header(m.data);
            if (h) h(m.data);
          };
          ws.onclose = () => { $('conn').className = 'conn'; set('status-line', 'stream closed; reconnecting…'); setTimeout(open, delay); delay = Math.min(delay * 2, 10000); };
        }
        open();
      }

      let lastState = null, lastRun = null;
      function header(s) {
        M.state = s.state;
        const pill = $('bot-state');
        pill.textContent = s.state.toUpperCase() + (s.state === 'preparing' ? ' ' + Math.round(100 * s.progress) + '%' : '');
        pill.dataset.state = s.state;
        if (s.symbol) { set('ticker', s.symbol + (s.venue ? ' · ' + s.venue.toUpperCase() : '') + (s.speed ? ' · ' + s.speed + '×' : '')); priceDigits = digitsOf(s.tick_size); qtyDigits = Math.min(6, Math.max(3, digitsOf(s.lot_size))); }
        if (s.time) set('sim-clock', clock(s.time));
        if (s.message && (s.state === 'failed')) { const b = $('banner'); b.textContent = s.message; b.hidden = false; }
        // A new run (a replay preparing, or another live session, also one started in the shell) clears the charts.
        const runKey = s.mode === 'live' ? 'live:' + s.session : 'replay';
        if (((s.state !== lastState && s.state === 'preparing') || (lastRun !== null && runKey !== lastRun)) && window.onBotRestart) window.onBotRestart();
        lastState = s.state; lastRun = runKey;
      }

      // ---------------------------------------------------------------- market summary
      function pageIndex() {
        const hasCharts = chartSetup();
        let mid = null;
        const pts = [];
        if (hasCharts) {
          mid = new Chart($('c-mid'), { type: 'line', data: { datasets: [{ label: 'mid', data: pts, borderColor: '#19d3ff', backgroundColor: 'rgba(25,211,255,0.08)', fill: 'start' }] },
            options: { parsing: false, normalized: true, scales: { x: timeAxis, y: yAxis() }, plugins: { legend: { display: false } } } });
        }
        window.onBotRestart = () => { pts.length = 0; redraw(mid); };
        function tiles(s) {
          set('t-symbol', s.symbol || '—'); set('t-venue', s.venue ? s.venue + ' · ' + (s.market || s.dataset || '') : '');
          set('t-pnl', signed(s.pnl_net, 2), cls(s.pnl_net)); set('t-pos', qty(s.position)); set('t-fills', num(s.fills, 0));
          set('t-vol', num(s.volatility_bps, 2));
        }
        let lastBook = 0;
        function book(b) {
          const now = Date.now(); if (now - lastBook < 250) return; lastBook = now;
          const n = Math.min(10, Math.max(b.bids.length, b.asks.length));
          let html = '';
          for (let i = 0; i < n; i++) {
            const bl = b.bids[i], al = b.asks[i];
            html += `<tr><td class="n">${bl ? qty(bl.qty) : ''}</td><td class="n up">${bl ? num(bl.price, priceDigits) : ''}</td><td class="n down">${al ? num(al.price, priceDigits) : ''}</td><td class="n">${al ? qty(al.qty) : ''}</td></tr>`;
          }
          $('book').tBodies[0].innerHTML = html;
          set('book-time', b.symbol + ' ' + clock(b.time));
        }
        api('/api/hft/l2data?levels=10').then(book).catch(() => {});
        async function refresh() {
          try {
            const s = await api('/api/summary');
            $('datasets').tBodies[0].innerHTML = s.datasets.map((d) => `<tr><td class="cy">${esc(d.name)}</td><td>${esc(d.symbol)}</td><td>${esc(d.venue)}</td><td>${d.order_by_order ? 'L3' : 'L2'} ${esc(d.format)}</td><td class="n">${num(d.events, 0)}</td><td>${esc((d.from_text || '').replace('T', ' ').slice(0, 19))}</td><td>${esc((d.to_text || '').slice(11, 19))}</td></tr>`).join('') || '<tr><td colspan="7" class="dim">no datasets: load one in the shell</td></tr>';
            $('strategies').tBodies[0].innerHTML = s.strategies.map((x) => `<tr><td class="cy">${esc(x.name)}</td><td>${esc(x.kind)}</td><td class="dim">${esc(Object.entries(x.params).map(([k, v]) => k + '=' + v).join(' '))}</td></tr>`).join('') || '<tr><td colspan="3" class="dim">none defined (kinds: ' + esc(s.strategy_kinds.join(', ')) + ')</td></tr>';
            $('runs').tBodies[0].innerHTML = s.runs.map((r) => `<tr><td class="cy">${esc(r.name)}</td><td>${esc(r.kind + ' ' + r.strategy)}</td><td>${esc(r.dataset)}</td><td>${esc(r.status)}</td><td class="n">${num(r.fills, 0)}</td><td class="n">${num(r.position, 3)}</td><td class="n ${cls(r.pnl_net)}">${signed(r.pnl_net, 2)}</td><td class="n">${num(r.sharpe, 2)}</td><td class="n">${num(r.max_drawdown, 2)}</td><td class="n">${pct(r.win_rate)}</td><td>${['fills', 'equity', 'stats'].map((t) => `<a href="${withToken('/api/runs/' + r.name + '/export/' + t + '.csv')}">${t}</a>`).join(' ')}</td></tr>`).join('') || '<tr><td colspan="11" class="dim">no runs yet: backtest STRATEGY on DATA</td></tr>';
          } catch (e) { M.errors.push(String(e)); set('status-line', 'summary: ' + e.message); }
        }
        refresh(); setInterval(refresh, 5000);
        api('/api/hft/history?limit=1500').then((h) => { prepend(pts, h.prices.filter((p) => p.mid).map((p) => ({ x: p.time / 1e6, y: p.mid }))); redraw(mid); }).catch(() => {});
        api('/api/hft/status').then((s) => { header(s); tiles(s); }).catch(() => {});
        stream({
          status: tiles,
          price: (p) => {
            set('t-bid', num(p.bid, priceDigits)); set('t-ask', num(p.ask, priceDigits));
            set('t-spread', p.bid && p.ask ? num(p.ask - p.bid, priceDigits) : '—');
            if (p.mid) { pts.push({ x: p.time / 1e6, y: p.mid }); keep(pts, 1500); set('mid-label', num(p.mid, priceDigits)); redraw(mid); }
          },
          depth: book,
          pnl: (p) => { set('t-pnl', signed(p.pnl_net, 2), cls(p.pnl_net)); set('t-pos', qty(p.position)); set('t-fills', num(p.fills, 0)); set('t-vol', num(p.volatility_bps, 2)); },
        });
      }

      // ---------------------------------------------------------------- trading screen
      function pageHFT() {
        const hasCharts = chartSetup();
        const bid = [], ask = [], mid = [], buys = [], sells = [], net = [], pos = [];
        let price = null, pnl = null;
        if (hasCharts) {
          price = new Chart($('c-price'), { type: 'line', data: { datasets: [
            { label: 'bid', data: bid, borderColor: 'rgba(33,208,122,0.55)', borderWidth: 1 },
            { label: 'ask', data: ask, borderColor: 'rgba(255,79,94,0.55)', borderWidth: 1 },
            { label: 'mid', data: mid, borderColor: '#19d3ff', borderWidth: 1.5 },
            { type: 'scatter', label: 'buy fill', data: buys, pointStyle: 'triangle', radius: 4, backgroundColor: '#21d07a', borderColor: '#21d07a' },
            { type: 'scatter', label: 'sell fill', data: sells, pointStyle: 'triangle', rotation: 180, radius: 4, backgroundColor: '#ff4f5e', borderColor: '#ff4f5e' },
          ] }, options: { parsing: false, normalized: true, scales: { x: timeAxis, y: yAxis() }, plugins: { legend: { position: 'top', align: 'end' } } } });
          pnl = new Chart($('c-pnl'), { type: 'line', data: { datasets: [
            { label: 'net P&L', data: net, borderColor: '#ffb020', backgroundColor: 'rgba(255,176,32,0.10)', fill: 'origin', yAxisID: 'y' },
            { label: 'position', data: pos, borderColor: '#19d3ff', stepped: true, yAxisID: 'y2' },
          ] }, options: { parsing: false, normalized: true, scales: { x: timeAxis, y: yAxis({ ticks: { maxTicksLimit: 7, color: '#ffb020' } }), y2: { position: 'left', grid: { display: false }, ticks: { maxTicksLimit: 5, color: '#19d3ff' } } }, plugins: { legend: { position: 'top', align: 'end' } } } });
        }
        const fillRows = [];
        function clear() { for (const a of [bid, ask, mid, buys, sells, net, pos]) a.length = 0; fillRows.length = 0; $('fills').tBodies[0].innerHTML = ''; redraw(price); redraw(pnl); }
        window.onBotRestart = clear;

        function fillRow(f) {
          return `<tr><td>${clock(f.time)}</td><td class="${f.side === 'buy' ? 'up' : 'down'}">${f.side.toUpperCase()}</td><td class="n">${num(f.price, priceDigits)}</td><td class="n">${qty(f.qty)}</td><td class="dim">${f.maker ? 'M' : 'T'}</td><td class="n">${qty(f.position)}</td></tr>`;
        }
        let fillsDirty = false;
        function addFill(f) {
          fillRows.unshift(fillRow(f)); if (fillRows.length > 200) fillRows.length = 200; fillsDirty = true;
          (f.side === 'buy' ? buys : sells).push({ x: f.time / 1e6, y: f.price });
          keep(buys, 400); keep(sells, 400); redraw(price);
        }
        setInterval(() => { if (fillsDirty) { $('fills').tBodies[0].innerHTML = fillRows.join(''); fillsDirty = false; } }, 250);

        function ladder(b) {
          const n = 12, asks = b.asks.slice(0, n).reverse(), bids = b.bids.slice(0, n);
          const max = Math.max(1e-12, ...asks.map((l) => l.qty), ...bids.map((l) => l.qty));
          const bar = (q) => `<i class="bar" data-w="${(100 * q / max).toFixed(1)}"></i>`;
          let html = asks.map((l) => `<tr class="ask"><td class="bq"></td><td class="px">${num(l.price, priceDigits)}</td><td class="aq">${bar(l.qty)}<span>${qty(l.qty)}</span></td></tr>`).join('');
          const spread = b.asks.length && b.bids.length ? b.asks[0].price - b.bids[0].price : null;
          html += `<tr class="mid"><td colspan="3">SPREAD ${spread === null ? '—' : num(spread, priceDigits)}</td></tr>`;
          html += bids.map((l) => `<tr class="bid"><td class="bq">${bar(l.qty)}<span>${qty(l.qty)}</span></td><td class="px">${num(l.price, priceDigits)}</td><td class="aq"></td></tr>`).join('');
          const body = $('ladder').tBodies[0];
          body.innerHTML = html;
          for (const i of body.querySelectorAll('i.bar')) i.style.width = i.dataset.w + '%';
          set('ladder-time', clock(b.time));
        }
        let lastDepth = null;
        setInterval(() => { if (lastDepth) { ladder(lastDepth); lastDepth = null; } }, 200);

        function metrics(s) {
          set('m-state', s.state.toUpperCase(), s.state === 'running' ? 'up' : s.state === 'failed' || s.state === 'stopped' ? 'down' : '');
          if (s.state === 'failed' && s.message) message(s.message, true);
          set('m-strategy', s.strategy ? s.strategy_kind + ' ' + s.strategy + ' on ' + (s.market || s.dataset) + (s.mode === 'live' ? ' · ' + s.session : '') : '—');
          set('m-position', qty(s.position), cls(s.position));
          set('m-net', signed(s.pnl_net, 2), cls(s.pnl_net)); set('m-gross', signed(s.pnl_gross, 2), cls(s.pnl_gross)); set('m-fees', num(s.fees, 2));
          set('m-fills', num(s.fills, 0) + (s.fills ? ' (' + num(s.maker_fills, 0) + ' M)' : '')); set('m-rt', num(s.round_trips, 0));
          set('m-win', pct(s.win_rate)); set('m-sharpe', num(s.sharpe, 2)); set('m-dd', num(s.max_drawdown, 2));
          set('m-vol', s.volatility_bps === null || s.volatility_bps === undefined ? '—' : num(s.volatility_bps, 2) + ' bp');
          const lat = (l) => l ? dur(l.p50) + ' ' + dur(l.p99) + ' ' + dur(l.p999) : '—';
          set('m-t2o', lat(s.tick_to_order)); set('m-rtt', lat(s.order_round_trip));
          $('progress-bar').style.width = (100 * (s.progress || 0)).toFixed(1) + '%';
          const active = s.state === 'running' || s.state === 'preparing' || s.state === 'paused';
          $('btn-stop').disabled = !active;
        }

        async function loadChoices() {
          const s = await api('/api/summary');
          const sel = $('f-strategy');
          sel.innerHTML = s.strategies.map((x) => `<option value="${esc(x.name)}">${esc(x.name)} (${esc(x.kind)})</option>`).join('') +
            s.strategy_kinds.map((k) => `<option value="${esc(k)}">${esc(k)} (defaults)</option>`).join('');
          // Live markets first (the bot trades a live session), then presets (a new zi market), then datasets (a replayed backtest).
          const opt = (v, t) => `<option value="${esc(v)}">${esc(t)}</option>`;
          $('f-dataset').innerHTML =
            (s.markets.length ? '<optgroup label="LIVE MARKETS">' + s.markets.map((m) => opt('market:' + m.name, m.name + ' · ' + m.model + ' ' + m.symbols.join(','))).join('') + '</optgroup>' : '') +
            '<optgroup label="NEW ZI MARKET">' + s.presets.map((p) => opt('market:' + p, p + ' (zi)')).join('') + '</optgroup>' +
            (s.datasets.length ? '<optgroup label="REPLAY DATASET">' + s.datasets.map((d) => opt('dataset:' + d.name, d.name + ' · ' + d.symbol + ' (replay)')).join('') + '</optgroup>' : '');
        }
        function message(text, err) { const m = $('form-msg'); m.textContent = text; m.className = err ? 'msg err' : 'msg'; }
        $('btn-start').addEventListener('click', async () => {
          const src = $('f-dataset').value, colon = src.indexOf(':');
          const body = { strategy: $('f-strategy').value, speed: Number($('f-speed').value), options: {} };
          body[src.slice(0, colon)] = src.slice(colon + 1);
          const lat = $('f-latency').value.trim(); if (lat) body.options.latency = lat;
          message('starting…');
          try { const s = await api('/api/hft/start', { method: 'POST', body: JSON.stringify(body) }); clear(); header(s); metrics(s); message('started ' + s.strategy + ' on ' + (s.market || s.dataset) + (s.session ? ' (' + s.session + ')' : '')); loadChoices().catch(() => {}); }
          catch (e) { message(e.message, true); M.errors.push(e.message); }
        });
        $('btn-stop').addEventListener('click', async () => {
          try { const s = await api('/api/hft/stop', { method: 'POST', body: '{}' }); header(s); metrics(s); message(s.runs && s.runs.length ? 'stopped: stored as run ' + s.runs.join(', ') : 'stopped'); }
          catch (e) { message(e.message, true); }
        });
        loadChoices().catch((e) => message(e.message, true));
        api('/api/hft/status').then((s) => { header(s); metrics(s); }).catch(() => {});
        api('/api/hft/history?limit=1200').then((h) => {
          const at = (list, f) => list.filter((p) => f(p) !== null && f(p) !== undefined).map((p) => ({ x: p.time / 1e6, y: f(p) }));
          prepend(bid, at(h.prices, (p) => p.bid)); prepend(ask, at(h.prices, (p) => p.ask)); prepend(mid, at(h.prices, (p) => p.mid));
          prepend(net, at(h.pnl, (p) => p.pnl_net)); prepend(pos, at(h.pnl, (p) => p.position));
          redraw(price); redraw(pnl);
        }).catch(() => {});
        api('/api/hft/trades?limit=200').then((p) => { for (const f of p.fills.slice().reverse()) addFill(f); set('fills-count', p.total + ' total'); }).catch(() => {});
        api('/api/hft/l2data?levels=20').then(ladder).catch(() => {});
        stream({
          status: metrics,
          price: (p) => {
            const x = p.time / 1e6;
            if (p.bid) bid.push({ x, y: p.bid }); if (p.ask) ask.push({ x, y: p.ask }); if (p.mid) mid.push({ x, y: p.mid });
            for (const a of [bid, ask, mid]) keep(a, 1200);
            const lo = mid.length ? mid[0].x : x;
            while (buys.length && buys[0].x < lo) buys.shift(); while (sells.length && sells[0].x < lo) sells.shift();
            set('price-label', (p.mid ? num(p.mid, priceDigits) : '') + (p.last ? '  last ' + num(p.last, priceDigits) : ''));
            redraw(price);
          },
          fill: (f) => { addFill(f); set('fills-count', M.fills + ' streamed'); },
          pnl: (p) => {
            const x = p.time / 1e6; net.push({ x, y: p.pnl_net }); pos.push({ x, y: p.position }); keep(net, 1200); keep(pos, 1200); redraw(pnl);
            set('m-net', signed(p.pnl_net, 2), cls(p.pnl_net)); set('m-position', qty(p.position), cls(p.position));
            set('m-fills', num(p.fills, 0)); set('m-win', pct(p.win_rate)); set('m-sharpe', num(p.sharpe, 2));
          },
          depth: (b) => { lastDepth = b; },
        });
      }

      // ---------------------------------------------------------------- advanced charts
      function pageCharts() {
        if (!chartSetup()) return;
        const candles = [];
        const bucket = 5e9;
        const cdl = new Chart($('c-candles'), { type: 'bar', data: { labels: [], datasets: [
          { label: 'wick', data: [], backgroundColor: [], barPercentage: 0.08, categoryPercentage: 1, grouped: false, order: 2 },
          { label: 'body', data: [], backgroundColor: [], borderColor: [], borderWidth: 1, barPercentage: 0.6, categoryPercentage: 1, grouped: false, order: 1 },
        ] }, options: { scales: { x: { ticks: { maxTicksLimit: 8, autoSkip: true }, grid: { display: false } }, y: yAxis({ beginAtZero: false }) }, plugins: { legend: { display: false } } } });
        function drawCandles() {
          const show = candles.slice(-90);
          cdl.data.labels = show.map((c) => clock(c.t).slice(0, 8));
          cdl.data.datasets[0].data = show.map((c) => [c.l, c.h]);
          cdl.data.datasets[1].data = show.map((c) => c.o === c.c ? [c.o - 1e-9, c.c + 1e-9] : [Math.min(c.o, c.c), Math.max(c.o, c.c)]);
          const col = show.map((c) => c.c >= c.o ? '#21d07a' : '#ff4f5e');
          cdl.data.datasets[0].backgroundColor = col;
          cdl.data.datasets[1].backgroundColor = show.map((c) => c.c >= c.o ? 'rgba(33,208,122,0.75)' : 'rgba(255,79,94,0.85)');
          cdl.data.datasets[1].borderColor = col;
          redraw(cdl);
        }
        const depth = new Chart($('c-depth'), { type: 'line', data: { datasets: [
          { label: 'bids', data: [], borderColor: '#21d07a', backgroundColor: 'rgba(33,208,122,0.18)', fill: 'origin', stepped: true },
          { label: 'asks', data: [], borderColor: '#ff4f5e', backgroundColor: 'rgba(255,79,94,0.18)', fill: 'origin', stepped: true },
        ] }, options: { parsing: false, scales: { x: { type: 'linear', ticks: { maxTicksLimit: 8 }, grid: { color: '#131c25' } }, y: yAxis({ beginAtZero: true }) }, plugins: { legend: { position: 'top', align: 'end' } } } });
        function drawDepth(b) {
          let c = 0; const bids = b.bids.map((l) => ({ x: l.price, y: (c += l.qty) })).reverse();
          c = 0; const asks = b.asks.map((l) => ({ x: l.price, y: (c += l.qty) }));
          depth.data.datasets[0].data = bids; depth.data.datasets[1].data = asks;
          set('depth-label', b.symbol + ' ' + clock(b.time) + ' · cumulative size, ' + b.bids.length + '×' + b.asks.length + ' levels');
          redraw(depth);
        }
        const colors = ['#19d3ff', '#ffb020', '#21d07a', '#ff4f5e', '#b388ff', '#7f93a6', '#ffd54f', '#4dd0e1', '#f06292'];
        const mk = new Chart($('c-markout'), { type: 'line', data: { labels: [], datasets: [] },
          options: { scales: { x: { grid: { color: '#131c25' } }, y: yAxis() }, elements: { point: { radius: 2 } }, plugins: { legend: { position: 'top', align: 'end' } } } });
        const lat = new Chart($('c-latency'), { type: 'bar', data: { labels: ['p50', 'p99', 'p99.9'], datasets: [] },
          options: { indexAxis: 'x', scales: { x: { grid: { display: false } }, y: yAxis({ type: 'logarithmic' }) }, plugins: { legend: { position: 'top', align: 'end' } } } });
        let botLatency = null, runLatency = null;
        function drawLatency() {
          const sets = [];
          const row = (l) => l ? [l.p50 / 1000, l.p99 / 1000, l.p999 / 1000] : [];
          if (botLatency) {
            sets.push({ label: 'bot tick→order', data: row(botLatency.t2o), backgroundColor: '#19d3ff' });
            sets.push({ label: 'bot order RTT', data: row(botLatency.rtt), backgroundColor: '#ffb020' });
          }
          if (runLatency) {
            sets.push({ label: runLatency.name + ' tick→order', data: runLatency.t2o, backgroundColor: 'rgba(25,211,255,0.35)' });
            sets.push({ label: runLatency.name + ' order RTT', data: runLatency.rtt, backgroundColor: 'rgba(255,176,32,0.35)' });
          }
          lat.data.datasets = sets; redraw(lat);
        }
        async function markouts(run) {
          if (!run) return;
          const rows = await api('/api/runs/' + run + '/markouts?horizons=100ms,250ms,500ms,1s,2s,5s,10s,30s,1m');
          const hs = [...new Set(rows.map((r) => r.horizon))].sort((a, b) => a - b);
          // all, all buy, all sell; maker/taker groups only when they differ from all (a pure maker shows 3 lines).
          const fillsOf = (g) => { const r = rows.find((x) => x.group === g); return r ? r.fills : 0; };
          const groups = [...new Set(rows.map((r) => r.group))].filter((g) => g.startsWith('all') || (fillsOf(g) > 0 && fillsOf(g) !== fillsOf('all' + g.replace(/^(maker|taker)/, ''))));
          mk.data.labels = hs.map((h) => h >= 60e9 ? h / 60e9 + 'm' : h >= 1e9 ? h / 1e9 + 's' : h / 1e6 + 'ms');
          mk.data.datasets = groups.map((g, i) => ({ label: g, borderColor: colors[i % colors.length], backgroundColor: colors[i % colors.length],
            borderWidth: g === 'all' ? 2.2 : 1, data: hs.map((h) => { const r = rows.find((x) => x.group === g && x.horizon === h); return r ? r.move_bps : null; }) }));
          redraw(mk);
          const st = await api('/api/runs/' + run + '/stats');
          const v = (k) => { const r = st.find((x) => x.stat === k); return r && r.value !== null ? r.value / 1000 : null; };
          runLatency = { name: run, t2o: [v('tick_to_order_p50'), v('tick_to_order_p99'), v('tick_to_order_p999')], rtt: [v('order_rtt_p50'), v('order_rtt_p99'), v('order_rtt_p999')] };
          drawLatency();
        }
        api('/api/runs').then((runs) => {
          const sel = $('markout-run');
          sel.innerHTML = runs.map((r) => `<option>${esc(r.name)}</option>`).join('') || '<option value="">no runs</option>';
          sel.addEventListener('change', () => markouts(sel.value).catch((e) => M.errors.push(e.message)));
          if (runs.length) markouts(runs[runs.length - 1].name).then(() => { sel.value = runs[runs.length - 1].name; }).catch((e) => M.errors.push(e.message));
        }).catch((e) => M.errors.push(e.message));
        window.onBotRestart = () => { candles.length = 0; drawCandles(); };
        function status(s) { if (s.tick_to_order || s.order_round_trip) { botLatency = { t2o: s.tick_to_order, rtt: s.order_round_trip }; drawLatency(); } }
        api('/api/hft/status').then((s) => { header(s); status(s); }).catch(() => {});
        api('/api/hft/l2data?levels=50').then(drawDepth).catch(() => {});
        let candleDirty = false;
        setInterval(() => { if (candleDirty) { drawCandles(); candleDirty = false; } }, 500);
        stream({
          status,
          depth: drawDepth,
          price: addCandle,
        });
        function addCandle(p) {
            if (!p.mid) return;
            const t = Math.floor(p.time / bucket) * bucket, last = candles[candles.length - 1];
            if (last && t < last.t) return;
            if (last && last.t === t) { last.h = Math.max(last.h, p.mid); last.l = Math.min(last.l, p.mid); last.c = p.mid; }
            else { const o = last ? last.c : p.mid; candles.push({ t, o, h: Math.max(o, p.mid), l: Math.min(o, p.mid), c: p.mid }); keep(candles, 300); }
            set('candle-label', '5s bars of the bot\'s mid · ' + candles.length + ' bars');
            candleDirty = true;
        }
        api('/api/hft/history?limit=3000').then((h) => {
          const live = candles.splice(0), cut = live.length ? live[0].t : Infinity;
          for (const p of h.prices) if (p.time < cut) addCandle(p);
          candles.push(...live); candleDirty = true;
        }).catch(() => {});
      }

      for (const a of document.querySelectorAll('nav a')) a.href = withToken(a.getAttribute('href'));
      const page = document.body.dataset.page;
      try {
        if (page === 'index') pageIndex(); else if (page === 'hft') pageHFT(); else if (page === 'charts') pageCharts();
      } catch (e) { M.errors.push(String(e)); const b = $('banner'); b.textContent = String(e); b.hidden = false; }
      document.addEventListener('keydown', (e) => {
        const go = { F1: '/', F2: '/hft', F3: '/advanced_charts' }[e.key];
        if (go) { e.preventDefault(); location.href = withToken(go); }
      });
    })();
    """#
}
