// Draws the tip maps of the console (templates/console/tips/_map.html) with Leaflet.
// The points arrive ready to show (coarsened on the server where the user may not see the
// raw ones); with no tile URL configured the map draws the points alone.
(function () {
  "use strict";

  function draw(element) {
    var data = JSON.parse(document.getElementById(element.dataset.map).textContent);
    var map = L.map(element, { scrollWheelZoom: false });
    if (data.tiles) {
      L.tileLayer(data.tiles, { maxZoom: 19, attribution: data.attribution }).addTo(map);
    }
    var bounds = [];
    data.points.forEach(function (point) {
      var spot = [point.lat, point.lon];
      bounds.push(spot);
      var link = document.createElement("a");
      link.href = point.href;
      link.textContent = point.label;
      L.circleMarker(spot, { radius: 8, color: "#0b0c0c", weight: 2, fillColor: "#1d70b8", fillOpacity: 0.8 })
        .bindPopup(link)
        .addTo(map);
    });
    if (bounds.length === 1) {
      map.setView(bounds[0], 15);
    } else if (bounds.length > 1) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
    } else {
      map.setView([62.0, 15.0], 4); // Sweden
    }
    element.classList.add("tip-map__canvas--drawn");
  }

  function drawAll() {
    if (typeof L === "undefined") return;
    document.querySelectorAll(".tip-map__canvas[data-map]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
