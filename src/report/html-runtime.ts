/**
 * The script every HTML report runs after Chart.js: it reads the embedded chart configs
 * (<script type="application/json" id="authz-perf-charts">), adds number formatting to ticks and
 * tooltips, registers a small error-bar plugin (draws value ± errorBars[i] for bar and line
 * datasets, either orientation), and wires the "download JSON" button. Plain ES2017, no imports.
 */
export const HTML_RUNTIME = String.raw`(function () {
  'use strict';
  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    var a = Math.abs(v);
    var units = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
    for (var i = 0; i < units.length; i++) {
      if (a >= units[i][0]) return +(v / units[i][0]).toPrecision(3) + units[i][1];
    }
    if (a === 0) return '0';
    return a >= 1 ? String(+v.toPrecision(3)) : String(+v.toPrecision(2));
  }

  var errorBars = {
    id: 'authzPerfErrorBars',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      var horizontal = chart.options.indexAxis === 'y';
      chart.data.datasets.forEach(function (ds, i) {
        if (!ds.errorBars || !chart.isDatasetVisible(i)) return;
        var meta = chart.getDatasetMeta(i);
        var scale = chart.scales[horizontal ? meta.xAxisID : meta.yAxisID];
        if (!scale) return;
        ctx.save();
        ctx.strokeStyle = '#222';
        ctx.lineWidth = 1.25;
        meta.data.forEach(function (el, j) {
          var v = ds.data[j];
          var e = ds.errorBars[j];
          if (v === null || v === undefined || e === null || e === undefined || !(e > 0)) return;
          var loValue = v - e;
          if (scale.type === 'logarithmic' && loValue <= 0) loValue = scale.min;
          var lo = scale.getPixelForValue(loValue);
          var hi = scale.getPixelForValue(v + e);
          var at = horizontal ? el.y : el.x;
          var cap = Math.max(3, Math.min(8, (el.width || el.height || 12) / 4));
          ctx.beginPath();
          if (horizontal) {
            ctx.moveTo(lo, at); ctx.lineTo(hi, at);
            ctx.moveTo(lo, at - cap); ctx.lineTo(lo, at + cap);
            ctx.moveTo(hi, at - cap); ctx.lineTo(hi, at + cap);
          } else {
            ctx.moveTo(at, lo); ctx.lineTo(at, hi);
            ctx.moveTo(at - cap, lo); ctx.lineTo(at + cap, lo);
            ctx.moveTo(at - cap, hi); ctx.lineTo(at + cap, hi);
          }
          ctx.stroke();
        });
        ctx.restore();
      });
    }
  };

  function boxFor(canvas, heightPx) {
    var parent = canvas.parentElement;
    if (!parent || !parent.classList.contains('chart-box')) {
      var box = document.createElement('div');
      box.className = 'chart-box';
      canvas.parentNode.insertBefore(box, canvas);
      box.appendChild(canvas);
      parent = box;
    }
    parent.style.height = heightPx + 'px';
  }

  function start() {
    if (typeof Chart === 'undefined') {
      console.error('authz-perf: Chart.js did not load; charts are not drawn');
      return;
    }
    Chart.register(errorBars);
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = '#333';
    var node = document.getElementById('authz-perf-charts');
    var entries = node ? JSON.parse(node.textContent) : [];
    var charts = [];
    entries.forEach(function (entry) {
      var canvas = document.getElementById(entry.id);
      if (!canvas) { console.warn('authz-perf: no canvas for chart ' + entry.id); return; }
      var cfg = entry.config;
      Object.keys(cfg.options.scales).forEach(function (key) {
        var scale = cfg.options.scales[key];
        if (scale.type === 'linear') scale.ticks = { callback: function (v) { return fmt(v); } };
        // log axes: label only 1, 2 and 5 × 10^n so the labels do not collide
        if (scale.type === 'logarithmic') scale.ticks = { autoSkip: true, callback: function (v) {
          if (!(v > 0)) return '';
          var m = Math.round(v / Math.pow(10, Math.floor(Math.log10(v) + 1e-9)) * 1000) / 1000;
          return m === 1 || m === 2 || m === 5 ? fmt(v) : '';
        } };
      });
      cfg.options.plugins.tooltip = {
        callbacks: {
          label: function (item) {
            var ds = item.dataset;
            var e = ds.errorBars ? ds.errorBars[item.dataIndex] : null;
            return ds.label + ': ' + fmt(item.raw) + (e ? ' ± ' + fmt(e) : '');
          }
        }
      };
      boxFor(canvas, entry.heightPx);
      try {
        charts.push(new Chart(canvas, cfg));
        canvas.setAttribute('data-chart-drawn', 'true');
      } catch (err) {
        console.error('authz-perf: chart ' + entry.id + ' failed: ' + (err && err.message));
      }
    });
    window.addEventListener('beforeprint', function () { charts.forEach(function (c) { c.resize(); }); });
    window.addEventListener('afterprint', function () { charts.forEach(function (c) { c.resize(); }); });
    window.authzPerfCharts = charts;
  }

  function wireDownload() {
    var button = document.getElementById('download-json');
    var data = document.getElementById('authz-perf-report');
    if (!button || !data) return;
    button.addEventListener('click', function () {
      var blob = new Blob([data.textContent], { type: 'application/json' });
      var a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = button.getAttribute('data-filename') || 'report.json';
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
    });
  }

  start();
  wireDownload();
})();
`;
