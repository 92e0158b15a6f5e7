/* The area pages' enhancements (console/areas.py): Leaflet maps of the areas' boundaries and
   centres, a click on the new-area map filling in the centre, and the letter's print button.
   The pages work without this: the table is the primary view, the centre can be typed. */
(function () {
  "use strict";

  var COLOUR = "#12355b";

  function popupLink(area) {
    var link = document.createElement("a");
    link.href = area.href;
    link.textContent = area.name;
    return link;
  }

  function escapeText(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span.innerHTML;
  }

  function areaLayers(area, bounds) {
    var layers = [];
    if (area.boundary) {
      var shape = L.geoJSON(area.boundary, {
        style: { color: COLOUR, weight: 3, fillOpacity: 0.12 },
      });
      shape.bindPopup(popupLink(area));
      bounds.extend(shape.getBounds());
      layers.push(shape);
    }
    layers.push(
      L.circleMarker(area.center, { radius: 6, color: COLOUR, fillOpacity: 0.9 })
        .bindPopup(popupLink(area))
    );
    bounds.extend(area.center);
    return layers;
  }

  function number(input) {
    return parseFloat(input.value.replace(",", "."));
  }

  function enablePicking(map, ids) {
    var lat = document.getElementById(ids[0]);
    var lon = document.getElementById(ids[1]);
    var marker = null;
    function place(latlng) {
      if (marker) marker.setLatLng(latlng);
      else marker = L.circleMarker(latlng, { radius: 9, color: "#b3261e", weight: 3 }).addTo(map);
    }
    map.on("click", function (event) {
      lat.value = event.latlng.lat.toFixed(6);
      lon.value = event.latlng.lng.toFixed(6);
      place(event.latlng);
    });
    function typed() {
      if (isFinite(number(lat)) && isFinite(number(lon))) place([number(lat), number(lon)]);
    }
    lat.addEventListener("change", typed);
    lon.addEventListener("change", typed);
    typed();
  }

  function drawMap(element) {
    var areas = JSON.parse(element.getAttribute("data-areas") || "[]");
    element.hidden = false;
    var map = L.map(element, { scrollWheelZoom: false, zoomControl: false });
    L.control.zoom({
      zoomInTitle: element.getAttribute("data-zoom-in") || "+",
      zoomOutTitle: element.getAttribute("data-zoom-out") || "-",
    }).addTo(map);
    var tiles = element.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, {
        maxZoom: 19,
        attribution: escapeText(element.getAttribute("data-attribution") || ""),
      }).addTo(map);
    }
    // The view first: Leaflet draws vector layers only on a map that has one.
    var bounds = L.latLngBounds([]);
    var layers = [];
    areas.forEach(function (area) { layers = layers.concat(areaLayers(area, bounds)); });
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
    else map.setView([62.0, 15.5], 4); // Sweden
    layers.forEach(function (layer) { layer.addTo(map); });
    var pick = element.getAttribute("data-pick");
    if (pick) enablePicking(map, pick.split(" "));
  }

  function enablePrinting() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (window.L) document.querySelectorAll(".area-map").forEach(drawMap);
    enablePrinting();
  });
})();
