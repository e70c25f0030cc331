/// The admin dashboard: one self-contained page (no external assets) that polls `/stats` every second and
/// draws the figures and charts.
///
/// Every figure that comes straight from /stats carries `data-stat` with its path in the document, so a test
/// (and a curious operator) can compare the page with /stats. A token for a non-loopback admin listener is
/// passed in the URL fragment (`/#token=...`), which browsers never send to the server.
enum DashboardPage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Rampart</title>
    <style>
      :root { --bg:#0f1419; --panel:#182029; --text:#e6e9ed; --muted:#8b98a5; --ok:#3fb950; --warn:#d29922; --bad:#f85149; --blue:#58a6ff; --violet:#bc8cff; }
      * { box-sizing: border-box; }
      body { margin:0; font:14px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--text); }
      header { display:flex; gap:24px; align-items:baseline; padding:14px 20px; border-bottom:1px solid #2b3540; flex-wrap:wrap; }
      header h1 { font-size:18px; margin:0; }
      header span { color:var(--muted); }
      main { padding:16px 20px; display:grid; gap:16px; grid-template-columns:repeat(auto-fill, minmax(340px, 1fr)); }
      .tiles { grid-column:1/-1; display:grid; gap:12px; grid-template-columns:repeat(auto-fill, minmax(130px, 1fr)); }
      .tile, .panel { background:var(--panel); border-radius:8px; padding:12px 14px; }
      .tile b { display:block; font-size:22px; font-variant-numeric:tabular-nums; }
      .tile small, .panel h2 { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; margin:0 0 8px; font-weight:600; }
      canvas { width:100%; height:160px; display:block; }
      table { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; }
      td { padding:3px 0; border-bottom:1px solid #232d38; }
      td:last-child { text-align:right; }
      .legend { display:flex; gap:12px; font-size:12px; color:var(--muted); margin-top:6px; flex-wrap:wrap; }
      .legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:4px; vertical-align:-1px; }
      .ok { color:var(--ok); } .bad { color:var(--bad); } .empty { color:var(--muted); }
    </style>
    </head>
    <body>
    <header>
      <h1>Rampart</h1>
      <span>version <b data-stat="version">–</b></span>
      <span>up <b id="uptime">–</b></span>
      <span>rules <b data-stat="rules.count">–</b> · <code data-stat="rules.version">–</code></span>
      <span>last reload <b id="reload">–</b></span>
      <span id="state" class="empty">connecting…</span>
    </header>
    <main>
      <section class="tiles">
        <div class="tile"><small>req/s</small><b id="rps">–</b></div>
        <div class="tile"><small>requests</small><b data-stat="requests.total">–</b></div>
        <div class="tile"><small>in flight</small><b data-stat="requests.in_flight">–</b></div>
        <div class="tile"><small>forwarded</small><b data-stat="requests.forwarded">–</b></div>
        <div class="tile"><small>2xx</small><b data-stat="requests.by_status.2xx">–</b></div>
        <div class="tile"><small>4xx</small><b data-stat="requests.by_status.4xx">–</b></div>
        <div class="tile"><small>5xx</small><b data-stat="requests.by_status.5xx">–</b></div>
        <div class="tile"><small>connections open</small><b data-stat="connections.open">–</b></div>
        <div class="tile"><small>p50 ms</small><b data-stat="latency_seconds.p50" data-unit="ms">–</b></div>
        <div class="tile"><small>p90 ms</small><b data-stat="latency_seconds.p90" data-unit="ms">–</b></div>
        <div class="tile"><small>p99 ms</small><b data-stat="latency_seconds.p99" data-unit="ms">–</b></div>
        <div class="tile"><small>max ms</small><b data-stat="latency_seconds.max" data-unit="ms">–</b></div>
      </section>
      <section class="panel"><h2>Requests per second</h2><canvas id="chart-rps"></canvas></section>
      <section class="panel"><h2>Status classes per second</h2><canvas id="chart-status"></canvas>
        <div class="legend"><span><i style="background:var(--ok)"></i>2xx</span><span><i style="background:var(--blue)"></i>3xx</span><span><i style="background:var(--warn)"></i>4xx</span><span><i style="background:var(--bad)"></i>5xx</span></div></section>
      <section class="panel"><h2>Latency percentiles (ms)</h2><canvas id="chart-latency"></canvas>
        <div class="legend"><span><i style="background:var(--ok)"></i>p50</span><span><i style="background:var(--warn)"></i>p90</span><span><i style="background:var(--bad)"></i>p99</span></div></section>
      <section class="panel"><h2>Firewall blocks by rule</h2><canvas id="chart-blocks"></canvas><table id="blocks"></table></section>
      <section class="panel"><h2>Rate limited by policy</h2><canvas id="chart-limited"></canvas><table id="limited"></table></section>
      <section class="panel"><h2>Upstreams</h2><table id="upstreams"></table>
        <h2 style="margin-top:12px">Upstream errors</h2>
        <table><tr><td>connect</td><td data-stat="errors.connect">–</td></tr><tr><td>timeout</td><td data-stat="errors.timeout">–</td></tr><tr><td>reset</td><td data-stat="errors.reset">–</td></tr></table></section>
    </main>
    <script>
    "use strict";
    const token = new URLSearchParams(location.hash.slice(1)).get("token");
    const history = [];   // {t, total, classes[5], blocks, limited, p50, p90, p99}
    const keep = 120;
    const palette = ["#3fb950", "#58a6ff", "#d29922", "#f85149", "#bc8cff", "#39c5cf", "#ff7b72", "#e3b341"];

    function at(stats, path) { return path.split(".").reduce((v, k) => (v == null ? undefined : v[k]), stats); }
    function sum(object) { return Object.values(object || {}).reduce((a, b) => a + b, 0); }
    function ms(seconds) { return (seconds * 1000).toFixed(2); }
    function text(value) { return value == null ? "–" : String(value); }
    function cell(row, value, attrs) {
      const td = row.insertCell(); td.textContent = value;
      for (const [k, v] of Object.entries(attrs || {})) td.setAttribute(k, v);
    }
    function duration(seconds) {
      const s = Math.floor(seconds), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
      return (d ? d + "d " : "") + (d || h ? h + "h " : "") + m + "m " + (s % 60) + "s";
    }

    function table(id, counts, key) {
      const element = document.getElementById(id);
      element.replaceChildren();
      const entries = Object.entries(counts || {}).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      if (!entries.length) { const row = element.insertRow(); cell(row, "none yet", {class: "empty"}); cell(row, ""); return; }
      for (const [name, count] of entries) {
        const row = element.insertRow();
        row.setAttribute(key, name);
        cell(row, name); cell(row, String(count), {"data-count": ""});
      }
    }

    function chart(id, series) {
      const canvas = document.getElementById(id);
      const ratio = window.devicePixelRatio || 1, width = canvas.clientWidth || 320, height = canvas.clientHeight || 160;
      canvas.width = width * ratio; canvas.height = height * ratio;
      const g = canvas.getContext("2d");
      g.scale(ratio, ratio);
      g.clearRect(0, 0, width, height);
      const top = Math.max(1e-9, ...series.flatMap(s => s.values));
      g.strokeStyle = "#2b3540"; g.fillStyle = "#8b98a5"; g.font = "11px system-ui";
      for (let i = 0; i <= 4; i++) {
        const y = 8 + (height - 24) * i / 4;
        g.beginPath(); g.moveTo(36, y); g.lineTo(width, y); g.stroke();
        g.fillText((top * (1 - i / 4)).toFixed(top < 10 ? 1 : 0), 0, y + 4);
      }
      const n = Math.max(2, ...series.map(s => s.values.length));
      const x = i => 36 + (width - 40) * i / (n - 1);
      const y = v => 8 + (height - 24) * (1 - v / top);
      for (const s of series) {
        g.strokeStyle = s.color; g.lineWidth = 1.6; g.beginPath();
        s.values.forEach((v, i) => { i ? g.lineTo(x(i), y(v)) : g.moveTo(x(i), y(v)); });
        g.stroke();
      }
    }

    function rate(field, index) {
      const values = [];
      for (let i = 1; i < history.length; i++) {
        const dt = (history[i].t - history[i - 1].t) / 1000 || 1;
        const a = index == null ? history[i][field] : history[i][field][index];
        const b = index == null ? history[i - 1][field] : history[i - 1][field][index];
        values.push(Math.max(0, (a - b) / dt));
      }
      return values;
    }

    function keyedRates(field, names) {
      return names.map((name, i) => ({ color: palette[i % palette.length], values: history.slice(1).map((h, j) => {
        const dt = (h.t - history[j].t) / 1000 || 1;
        return Math.max(0, ((h[field][name] || 0) - (history[j][field][name] || 0)) / dt);
      }) }));
    }

    function render(stats) {
      for (const element of document.querySelectorAll("[data-stat]")) {
        const value = at(stats, element.dataset.stat);
        element.textContent = element.dataset.unit === "ms" && value != null ? ms(value) : text(value);
      }
      document.getElementById("uptime").textContent = duration(stats.uptime_seconds);
      const reload = stats.rules.last_reload;
      const reloadElement = document.getElementById("reload");
      reloadElement.textContent = reload ? reload.result + " (" + reload.trigger + ", " + new Date(reload.time).toLocaleTimeString() + ")" : "none";
      reloadElement.className = reload && reload.result !== "ok" ? "bad" : "";
      reloadElement.title = reload && reload.error ? reload.error : "";
      table("blocks", stats.firewall.blocked.by_rule, "data-rule");
      table("limited", stats.rate_limit.rejected, "data-policy");
      const upstreams = document.getElementById("upstreams");
      upstreams.replaceChildren();
      for (const upstream of stats.upstreams) for (const server of upstream.servers) {
        const row = upstreams.insertRow();
        cell(row, upstream.name + " " + server.address);
        cell(row, server.healthy ? "healthy" : "backing off", {class: server.healthy ? "ok" : "bad"});
      }

      history.push({ t: Date.now(), total: stats.requests.total, classes: [1, 2, 3, 4, 5].map(c => stats.requests.by_status[c + "xx"]),
        blocks: Object.assign({}, stats.firewall.blocked.by_rule), limited: Object.assign({}, stats.rate_limit.rejected),
        p50: stats.latency_seconds.p50 * 1000, p90: stats.latency_seconds.p90 * 1000, p99: stats.latency_seconds.p99 * 1000 });
      if (history.length > keep) history.shift();
      const rps = rate("total");
      document.getElementById("rps").textContent = rps.length ? rps[rps.length - 1].toFixed(1) : "–";
      chart("chart-rps", [{ color: "#58a6ff", values: rps }]);
      chart("chart-status", [1, 2, 3, 4].map((c, i) => ({ color: ["#3fb950", "#58a6ff", "#d29922", "#f85149"][i], values: rate("classes", c) })));
      chart("chart-latency", ["p50", "p90", "p99"].map((p, i) => ({ color: ["#3fb950", "#d29922", "#f85149"][i], values: history.map(h => h[p]) })));
      chart("chart-blocks", keyedRates("blocks", Object.keys(stats.firewall.blocked.by_rule).sort()));
      chart("chart-limited", keyedRates("limited", Object.keys(stats.rate_limit.rejected).sort()));
      const state = document.getElementById("state");
      state.textContent = "live"; state.className = "ok";
      document.body.dataset.rendered = String(Number(document.body.dataset.rendered || 0) + 1);
    }

    async function poll() {
      try {
        const response = await fetch("stats", { headers: token ? { Authorization: "Bearer " + token } : {}, cache: "no-store" });
        if (!response.ok) throw new Error("/stats answered " + response.status);
        render(await response.json());
      } catch (error) {
        const state = document.getElementById("state");
        state.textContent = String(error.message || error); state.className = "bad";
      }
    }
    poll();
    setInterval(poll, 1000);
    </script>
    </body>
    </html>
    """#
}
