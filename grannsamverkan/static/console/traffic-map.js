// Draws the traffic hot-spot map (templates/console/traffic/index.html) with Leaflet: the
// grid cells come from the server as GeoJSON, already without the cells under 3 tips; the
// darker a cell, the more tips. Without JavaScript the table beside it has the same cells.
(function () {
  "use strict";

  function draw(element) {
    var data = JSON.parse(document.getElementById(element.dataset.hotspots).textContent);
    var map = L.map(element, { scrollWheelZoom: false });
    if (data.tiles) {
      L.tileLayer(data.tiles, { maxZoom: 19, attribution: data.attribution }).addTo(map);
    }
    var most = data.hotspots.features.reduce(function (top, feature) {
      return Math.max(top, feature.properties.count);
    }, 1);
    var layer = L.geoJSON(data.hotspots, {
      style: function (feature) {
        return {
          color: "#0b0c0c",
          weight: 1,
          fillColor: "#d55e00",
          fillOpacity: 0.25 + 0.6 * (feature.properties.count / most)
        };
      },
      onEachFeature: function (feature, cell) {
        cell.bindPopup(data.label.replace("%(count)s", String(feature.properties.count)));
      }
    }).addTo(map);
    if (data.hotspots.features.length) {
      map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 16 });
    } else {
      map.setView([data.centre.lat, data.centre.lon], 13);
    }
    element.classList.add("tip-map__canvas--drawn");
  }

  function drawAll() {
    if (typeof L === "undefined") return;
    document.querySelectorAll(".tip-map__canvas[data-hotspots]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
