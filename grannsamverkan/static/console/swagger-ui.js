// Swagger UI for /api/v1/docs: the OpenAPI document named by the page, nothing fetched from
// elsewhere (no validator badge, no remote configuration).
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    // Deep links put a link inside each operation's toggle button (nested controls, axe).
    deepLinking: false,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
