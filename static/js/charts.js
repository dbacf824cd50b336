/*
 * The creator portal's charts, drawn with Plotly (served from our own static files) from the JSON
 * that each page carries beside the chart (Django's json_script: never parsed as HTML).
 *
 * Markup (creators/templates/creators/_chart.html):
 *   <div id="eis-chart" class="chart" data-chart="eis-chart-data" data-empty="..." role="img"
 *        aria-labelledby="<heading>" aria-describedby="<visible summary>"></div>
 *   <script id="eis-chart-data" type="application/json">{"kind", "x", "series", "yTitle", ...}</script>
 *
 * A chart stays hidden until it is drawn (CSS: .chart without .chart--drawn), so without JavaScript,
 * or when Plotly fails to load, the page shows the summary and the table instead of an empty box.
 * Once drawn, the element gets data-chart-state="ready" (browser tests wait for it).
 * Days without a score are null and show as gaps: the chart never invents a number.
 */
(function () {
  "use strict";

  var COLOURS = ["#0b6e4f", "#1f5fad", "#b35c00", "#7b2d8e", "#a4161a", "#4d5560", "#2a7f8f"];
  var BAND_FILLS = ["rgba(164, 22, 26, 0.07)", "rgba(179, 92, 0, 0.07)", "rgba(11, 110, 79, 0.07)"];

  function bandShapes(bands) {
    // Background stripes for the EIS bands: low below bands[0], medium up to bands[1], high above.
    var edges = [0, bands[0], bands[1], 100];
    var shapes = [];
    for (var i = 0; i < 3; i += 1) {
      shapes.push({
        type: "rect", xref: "paper", x0: 0, x1: 1, yref: "y", y0: edges[i], y1: edges[i + 1],
        fillcolor: BAND_FILLS[i], line: { width: 0 }, layer: "below"
      });
    }
    return shapes;
  }

  function traces(spec) {
    var single = spec.x.length === 1;
    return spec.series.map(function (series, index) {
      var headline = index === 0;
      return {
        type: "scatter",
        mode: single ? "markers" : "lines+markers",
        name: series.name,
        x: spec.x,
        y: series.y,
        connectgaps: false,
        // On the EIS chart the components start hidden; the legend adds them.
        visible: spec.kind === "eis" && !headline ? "legendonly" : true,
        line: { width: headline ? 3 : 1.5, color: COLOURS[index % COLOURS.length] },
        marker: { size: headline ? 7 : 5 },
        hovertemplate: "%{x|%-d %b %Y}: %{y}<extra>" + series.name + "</extra>"
      };
    });
  }

  function layout(spec, element) {
    var result = {
      autosize: true,
      margin: { l: 56, r: 16, t: 16, b: 48 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size: 13 },
      xaxis: { type: "date", tickformat: "%-d %b", fixedrange: true },
      yaxis: { title: { text: spec.yTitle || "" }, rangemode: "tozero", fixedrange: true },
      legend: { orientation: "h", x: 0, y: -0.18 },
      hovermode: "x unified",
      showlegend: spec.series.length > 1
    };
    if (spec.x.length && spec.x.length <= 10) {
      result.xaxis.dtick = 86400000; // one tick a day: fewer points would get half-day ticks, each date twice
    }
    if (spec.yRange) {
      result.yaxis.range = spec.yRange;
    }
    if (spec.bands) {
      result.shapes = bandShapes(spec.bands);
    }
    if (!spec.x.length) {
      result.xaxis.visible = false;
      result.yaxis.showticklabels = Boolean(spec.yRange); // no made-up scale for counts that do not exist
      result.annotations = [{
        text: element.getAttribute("data-empty") || "No data yet",
        showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5, font: { size: 15 }
      }];
    }
    return result;
  }

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source) {
      return;
    }
    var spec;
    try {
      spec = JSON.parse(source.textContent);
    } catch (error) {
      return; // the table beside it still has the data
    }
    // Shown before drawing: Plotly measures the element's size.
    element.classList.add("chart--drawn");
    if (element.clientWidth < 560 && spec.series.length > 4) {
      element.classList.add("chart--tall");
    }
    window.Plotly.newPlot(element, traces(spec), layout(spec, element), {
      responsive: true,
      displayModeBar: false // its buttons would be focusable inside role="img"
    }).then(function () {
      element.setAttribute("data-chart-state", "ready");
    }, function () {
      element.classList.remove("chart--drawn");
    });
  }

  function start() {
    if (!window.Plotly) {
      return;
    }
    var charts = document.querySelectorAll("[data-chart]");
    for (var i = 0; i < charts.length; i += 1) {
      draw(charts[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
