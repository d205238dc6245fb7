import Foundation

/// The three dashboard pages. Markup only: styles in /assets/mithai.css, behaviour in
/// /assets/mithai.js (the Content-Security-Policy forbids inline scripts), charts by Chart.js
/// from /vendor/chart.js (Debian's libjs-chart.js).
enum Pages {
    /// The page with `?token=T` on its stylesheet and script URLs (the browser loads them
    /// without the Authorization header).
    static func withToken(_ page: String, _ token: String?) -> String {
        guard let token else { return page }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let t = token.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
        return page.replacingOccurrences(of: "/assets/mithai.css\"", with: "/assets/mithai.css?token=\(t)\"")
            .replacingOccurrences(of: "/assets/mithai.js\"", with: "/assets/mithai.js?token=\(t)\"")
            .replacingOccurrences(of: "/vendor/chart.js/chart.min.js\"", with: "/vendor/chart.js/chart.min.js?token=\(t)\"")
    }

    static func page(_ id: String, title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title) · Mithai Cap</title>
        <link rel="stylesheet" href="/assets/mithai.css">
        <script src="/vendor/chart.js/chart.min.js"></script>
        <script src="/assets/mithai.js" defer></script>
        </head>
        <body data-page="\(id)">
        <header class="top">
          <span class="brand">MITHAI<b>CAP</b></span>
          <nav>
            <a href="/" class="\(id == "index" ? "on" : "")"><kbd>F1</kbd> MKT</a>
            <a href="/hft" class="\(id == "hft" ? "on" : "")"><kbd>F2</kbd> HFT</a>
            <a href="/advanced_charts" class="\(id == "charts" ? "on" : "")"><kbd>F3</kbd> CHARTS</a>
          </nav>
          <span class="ticker" id="ticker">—</span>
          <span class="spacer"></span>
          <span class="pill" id="bot-state" data-state="idle">IDLE</span>
          <span class="clock" id="sim-clock">--:--:--.---</span>
          <span class="conn" id="conn" title="stream">●</span>
        </header>
        <div id="banner" class="banner" hidden></div>
        <main class="grid-\(id)">
        \(body)
        </main>
        <footer class="status-line"><span id="status-line">connecting…</span><span class="spacer"></span><span id="rate"></span></footer>
        </body>
        </html>
        """
    }

    static let index = page("index", title: "Market", body: """
        <section class="panel tiles" id="tiles">
          <div class="tile"><label>INSTRUMENT</label><span id="t-symbol">—</span><small id="t-venue"></small></div>
          <div class="tile"><label>BID</label><span id="t-bid" class="up">—</span></div>
          <div class="tile"><label>ASK</label><span id="t-ask" class="down">—</span></div>
          <div class="tile"><label>SPREAD</label><span id="t-spread">—</span></div>
          <div class="tile"><label>VOL 1s (bp)</label><span id="t-vol">—</span></div>
          <div class="tile"><label>BOT P&amp;L</label><span id="t-pnl">—</span></div>
          <div class="tile"><label>POSITION</label><span id="t-pos">—</span></div>
          <div class="tile"><label>FILLS</label><span id="t-fills">—</span></div>
        </section>
        <section class="panel chart-panel">
          <h2>MID <small id="mid-label"></small></h2>
          <div class="chart-box"><canvas id="c-mid"></canvas></div>
        </section>
        <section class="panel">
          <h2>DATASETS</h2>
          <table class="data" id="datasets"><thead><tr><th>NAME</th><th>SYMBOL</th><th>VENUE</th><th>KIND</th><th class="n">EVENTS</th><th>FROM</th><th>TO</th></tr></thead><tbody></tbody></table>
          <h2>STRATEGIES</h2>
          <table class="data" id="strategies"><thead><tr><th>NAME</th><th>KIND</th><th>PARAMETERS</th></tr></thead><tbody></tbody></table>
          <h2>BOOK <small id="book-time"></small></h2>
          <table class="data book" id="book"><thead><tr><th class="n">BID QTY</th><th class="n">BID</th><th class="n">ASK</th><th class="n">ASK QTY</th></tr></thead><tbody></tbody></table>
        </section>
        <section class="panel wide">
          <h2>RUNS <small>backtests of this session · CSV exports</small></h2>
          <table class="data" id="runs"><thead><tr><th>RUN</th><th>STRATEGY</th><th>DATA</th><th>STATUS</th><th class="n">FILLS</th><th class="n">POSITION</th><th class="n">NET P&amp;L</th><th class="n">SHARPE</th><th class="n">MAX DD</th><th class="n">WIN %</th><th>EXPORT</th></tr></thead><tbody></tbody></table>
        </section>
        """)

    static let hft = page("hft", title: "HFT", body: """
        <section class="panel controls">
          <h2>BOT</h2>
          <form id="bot-form" autocomplete="off">
            <label>STRATEGY<select id="f-strategy"></select></label>
            <label>MARKET<select id="f-dataset" title="a live market, a preset (a new zi market), or a dataset to replay"></select></label>
            <label>SPEED ×<input id="f-speed" type="number" min="1" max="100000" step="1" value="5"></label>
            <label>LATENCY<input id="f-latency" type="text" value="10ms"></label>
            <div class="buttons">
              <button type="button" id="btn-start" class="go">START</button>
              <button type="button" id="btn-stop" class="halt">STOP</button>
            </div>
            <div class="progress"><div id="progress-bar"></div></div>
            <p class="msg" id="form-msg"></p>
          </form>
          <h2>METRICS</h2>
          <table class="kv" id="metrics">
            <tr><th>STATE</th><td id="m-state">—</td></tr>
            <tr><th>STRATEGY</th><td id="m-strategy">—</td></tr>
            <tr><th>POSITION</th><td id="m-position">—</td></tr>
            <tr><th>NET P&amp;L</th><td id="m-net">—</td></tr>
            <tr><th>GROSS</th><td id="m-gross">—</td></tr>
            <tr><th>FEES</th><td id="m-fees">—</td></tr>
            <tr><th>FILLS</th><td id="m-fills">—</td></tr>
            <tr><th>ROUND TRIPS</th><td id="m-rt">—</td></tr>
            <tr><th>WIN RATE</th><td id="m-win">—</td></tr>
            <tr><th>SHARPE</th><td id="m-sharpe">—</td></tr>
            <tr><th>MAX DD</th><td id="m-dd">—</td></tr>
            <tr><th>VOL 1s</th><td id="m-vol">—</td></tr>
            <tr><th>TICK→ORDER</th><td id="m-t2o">—</td></tr>
            <tr><th>ORDER RTT</th><td id="m-rtt">—</td></tr>
          </table>
        </section>
        <section class="panel chart-panel price">
          <h2>PRICE <small id="price-label"></small></h2>
          <div class="chart-box"><canvas id="c-price"></canvas></div>
        </section>
        <section class="panel chart-panel pnl">
          <h2>P&amp;L · POSITION</h2>
          <div class="chart-box"><canvas id="c-pnl"></canvas></div>
        </section>
        <section class="panel ladder-panel">
          <h2>LADDER <small id="ladder-time"></small></h2>
          <table class="ladder" id="ladder"><thead><tr><th class="n">BID QTY</th><th class="n">PRICE</th><th class="n">ASK QTY</th></tr></thead><tbody></tbody></table>
        </section>
        <section class="panel fills-panel">
          <h2>FILLS <small id="fills-count"></small></h2>
          <div class="scroll"><table class="data" id="fills"><thead><tr><th>TIME</th><th>SIDE</th><th class="n">PRICE</th><th class="n">QTY</th><th>M/T</th><th class="n">POS</th></tr></thead><tbody></tbody></table></div>
        </section>
        """)

    static let advancedCharts = page("charts", title: "Charts", body: """
        <section class="panel chart-panel candles">
          <h2>CANDLES <small id="candle-label">5s bars of the bot's mid</small></h2>
          <div class="chart-box"><canvas id="c-candles"></canvas></div>
        </section>
        <section class="panel chart-panel depth">
          <h2>DEPTH <small id="depth-label"></small></h2>
          <div class="chart-box"><canvas id="c-depth"></canvas></div>
        </section>
        <section class="panel chart-panel markout">
          <h2>MARKOUT <small>mean mid move after fills (bp) · run <select id="markout-run"></select></small></h2>
          <div class="chart-box"><canvas id="c-markout"></canvas></div>
        </section>
        <section class="panel chart-panel latency">
          <h2>LATENCY <small>bot: tick-to-order and order round trip (µs)</small></h2>
          <div class="chart-box"><canvas id="c-latency"></canvas></div>
        </section>
        """)
}
