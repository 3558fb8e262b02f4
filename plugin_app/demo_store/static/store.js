/* The demo theme's own script: "add to cart" without a reload, then the cart event a theme
 * or platform extension dispatches for Cible (docs/storefront-script.md). */
document.addEventListener('submit', function (event) {
  var form = event.target;
  if (!form.classList || !form.classList.contains('add-to-cart') || !window.fetch) return;
  event.preventDefault();
  fetch(form.action, { method: 'POST', body: new FormData(form), headers: { Accept: 'application/json' } })
    .then(function (response) { return response.json(); })
    .then(function (cart) {
      document.getElementById('cart-items').textContent = cart.items;
      document.getElementById('cart-value').textContent = cart.value.toFixed(2);
      window.dispatchEvent(new CustomEvent('cible:cart', { detail: cart }));
    })
    .catch(function () { form.submit(); });
});
