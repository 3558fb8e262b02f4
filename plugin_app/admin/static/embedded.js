// Embedded in the Shopify admin, our cookie would be a third-party cookie: a form proves
// its shop with a fresh session token from App Bridge, added as it is posted.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || (form.method || "").toLowerCase() !== "post") return;
    if (form.dataset.cibleToken === "added" || !window.shopify || !window.shopify.idToken) return;
    event.preventDefault();
    var submitter = event.submitter;
    window.shopify.idToken().then(function (token) {
      var field = form.querySelector('input[name="id_token"]');
      if (!field) {
        field = document.createElement("input");
        field.type = "hidden";
        field.name = "id_token";
        form.appendChild(field);
      }
      field.value = token;
      form.dataset.cibleToken = "added";
      if (form.requestSubmit) form.requestSubmit(submitter || undefined); else form.submit();
      form.dataset.cibleToken = "";
    });
  }, true);
})();
