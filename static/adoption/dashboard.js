/* Dashboard pages: draw each <canvas data-chart-url> with Chart.js 4 from the {labels, datasets}
   the page embeds (a JSON data block named by data-chart-data), so opening a page costs one
   request; a switch above a chart redraws it from its JSON endpoint (data-chart-url).
   data-chart-kind picks the chart type and axes. */
(function () {
  "use strict";

  var lang = document.documentElement.lang || "vi";
  var oneDecimal = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  var whole = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });

  function percent(value) {
    return value === null || value === undefined ? "–" : oneDecimal.format(value) + "\u00a0%";
  }

  function number(value) {
    return value === null || value === undefined ? "–" : whole.format(value);
  }

  function rateOptions() {
    return {
      type: "line",
      options: {
        scales: {
          x: { ticks: { autoSkip: true, maxRotation: 0 } },
          y: { beginAtZero: true, suggestedMax: 100, ticks: { callback: function (v) { return percent(v); } } }
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var unit = ctx.dataset.yAxisID === "outreach" ? number : percent;
                return ctx.dataset.label + ": " + unit(ctx.parsed.y);
              }
            }
          }
        }
      }
    };
  }

  var kinds = {
    rate: rateOptions,
    branch: function () {
      var config = rateOptions();
      config.options.scales.outreach = {
        position: "right",
        beginAtZero: true,
        grid: { drawOnChartArea: false },
        ticks: { precision: 0 }
      };
      return config;
    },
    stacked: function () {
      return {
        type: "bar",
        options: {
          scales: {
            x: { stacked: true, ticks: { autoSkip: true, maxRotation: 0 } },
            y: { stacked: true, beginAtZero: true, ticks: { callback: function (v) { return number(v); } } }
          },
          plugins: {
            tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + number(ctx.parsed.y); } } }
          }
        }
      };
    },
    count: function () {
      return {
        type: "line",
        options: {
          scales: {
            x: { ticks: { autoSkip: true, maxRotation: 0 } },
            y: { beginAtZero: true, ticks: { callback: function (v) { return number(v); } } }
          },
          plugins: {
            tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + number(ctx.parsed.y); } } }
          }
        }
      };
    }
  };

  // The plain-table alternative of a chart: one row per month, one column per series.
  function fillTable(canvas, data) {
    var table = canvas.closest("figure").querySelector("details.chart-table table");
    if (!table) { return; }
    var rates = canvas.dataset.chartKind === "rate" || canvas.dataset.chartKind === "branch";
    var headRow = table.tHead.rows[0];
    var body = table.tBodies[0];
    while (headRow.cells.length > 1) { headRow.deleteCell(1); }
    body.textContent = "";
    data.datasets.forEach(function (dataset) {
      var th = document.createElement("th");
      th.scope = "col";
      th.className = "num";
      th.textContent = dataset.label;
      headRow.appendChild(th);
    });
    data.labels.forEach(function (label, i) {
      var row = body.insertRow();
      var th = document.createElement("th");
      th.scope = "row";
      th.textContent = label;
      row.appendChild(th);
      data.datasets.forEach(function (dataset) {
        var cell = row.insertCell();
        cell.className = "num";
        var asRate = rates && dataset.yAxisID !== "outreach";
        cell.textContent = (asRate ? percent : number)(dataset.data[i]);
      });
    });
  }

  /* Open months ("tạm tính", still arriving) are drawn dashed and labelled, never as a
     collapse: the segments leading to them and their bars' borders. */
  function markProvisional(data) {
    var open = new Set(data.provisional || []);
    if (!open.size) { return; }
    var suffix = " (" + data.provisional_label + ")";
    var labels = data.labels.slice();
    data.datasets.forEach(function (dataset) {
      dataset.segment = {
        borderDash: function (ctx) { return open.has(labels[ctx.p1DataIndex]) ? [6, 4] : undefined; }
      };
      dataset.borderDash = undefined;
    });
    data.labels = labels.map(function (label) { return open.has(label) ? label + suffix : label; });
  }

  /* Many units on one chart (11 districts, two dozen communes): every unit's line grey and thin,
     the one chosen above the chart coloured and thick; the company and target lines keep their
     own style. Both colours hold 3:1 against the white plot. */
  var GREY = "#8a8a8a", HIGHLIGHT = "#0b5cad", MANY = 3;

  function markUnits(data) {
    data.datasets.forEach(function (d) {
      d.unit = d.order !== -1 && !d.borderDash && d.yAxisID !== "outreach" && d.type !== "bar";
    });
  }

  function highlight(chart, label) {
    chart.data.datasets.forEach(function (d) {
      if (!d.unit) { return; }
      var chosen = d.label === label;
      d.borderColor = d.backgroundColor = chosen ? HIGHLIGHT : GREY;
      d.borderWidth = chosen ? 3 : 1.5;
      d.order = chosen ? -2 : 0;
    });
    chart.update();
  }

  function offerHighlight(canvas, chart) {
    var box = canvas.closest("figure").querySelector("p.highlight");
    var units = chart.data.datasets.filter(function (d) { return d.unit; });
    if (!box || units.length < MANY) { return; }
    var select = box.querySelector("select");
    select.replaceChildren(new Option(select.dataset.none, ""));
    units.forEach(function (d) { select.add(new Option(d.label, d.label)); });
    select.onchange = function () { highlight(chart, select.value); };
    box.hidden = false;
    highlight(chart, select.value);
  }

  function configFor(canvas, data) {
    var config = (kinds[canvas.dataset.chartKind] || kinds.count)();
    config.options.responsive = true;
    config.options.maintainAspectRatio = false;
    config.options.spanGaps = true;
    config.options.interaction = { mode: "index", intersect: false };
    config.options.plugins.legend = { position: "bottom", labels: { boxWidth: 14 } };
    config.data = { labels: data.labels, datasets: data.datasets };
    return config;
  }

  function draw(canvas, data) {
    var old = window.Chart.getChart(canvas);
    if (old) { old.destroy(); }
    markUnits(data);
    markProvisional(data);
    fillTable(canvas, data);
    offerHighlight(canvas, new window.Chart(canvas, configFor(canvas, data)));
    canvas.dataset.state = "drawn";
  }

  function failed(canvas) {
    canvas.dataset.state = "failed";
    var status = canvas.closest("figure").querySelector(".chart-status");
    if (status) { status.hidden = false; }
  }

  function embedded(canvas) {
    var block = document.getElementById(canvas.dataset.chartData || "");
    try {
      return block ? JSON.parse(block.textContent) : null;
    } catch (error) {
      return null;
    }
  }

  function fetchChart(canvas, url) {
    canvas.dataset.state = "loading";
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (data) {
        canvas.dataset.chartUrl = url;
        draw(canvas, data);
      })
      .catch(function () { failed(canvas); });
  }

  document.querySelectorAll("canvas[data-chart-url]").forEach(function (canvas) {
    var data = embedded(canvas);
    if (data) { draw(canvas, data); } else { fetchChart(canvas, canvas.dataset.chartUrl); }
  });

  // A switch above a chart (grouping, measure) redraws that chart alone from its JSON and
  // keeps the address, the filter form and the title in step; without script it is a link.
  document.querySelectorAll(".switch a[data-chart-url]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var figure = link.closest("figure");
      var canvas = figure.querySelector("canvas[data-chart-url]");
      event.preventDefault();
      fetchChart(canvas, link.dataset.chartUrl).then(function () {
        if (canvas.dataset.state !== "drawn") { return; }
        link.parentNode.querySelectorAll("a").forEach(function (other) {
          if (other === link) { other.setAttribute("aria-current", "true"); } else { other.removeAttribute("aria-current"); }
        });
        var kept = document.querySelector("form.filters input[type=hidden][name='" + link.dataset.param + "']");
        if (kept) { kept.value = link.dataset.value; }
        if (link.dataset.title) {
          figure.querySelector("figcaption h2").textContent = link.dataset.title;
          figure.querySelector("details.chart-table caption").textContent = link.dataset.title;
          canvas.setAttribute("aria-label", link.dataset.title);
        }
        window.history.replaceState(null, "", link.href);
      });
    });
  });

  // "Updating" mark: while the worker brings newer changes in, ask the freshness endpoint
  // every few seconds; once nothing waits, reload so the page shows the new figures.
  var updating = document.querySelector("[data-freshness-url]");
  if (updating) {
    var poll = function () {
      fetch(updating.dataset.freshnessUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { updating: true }; })
        .then(function (state) {
          if (state.updating) { window.setTimeout(poll, 5000); } else { window.location.reload(); }
        })
        .catch(function () { window.setTimeout(poll, 15000); });
    };
    window.setTimeout(poll, 5000);
  }

  // Printing shows the numbers: open every table alternative.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.chart-table").forEach(function (details) { details.open = true; });
  });
})();
