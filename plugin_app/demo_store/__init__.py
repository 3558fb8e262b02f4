"""The demo storefront (`/demo/store`): a small shop theme with the Cible script installed.

It plays a merchant's theme so a newcomer sees the campaigns as a shopper would, and so the
browser tests have a real page to drive: home with a `home-hero` slot, a category, product
pages, a cart. Its stylesheet is deliberately aggressive (it restyles `div`, `button`,
`h2`...) to show that popups rendered in a shadow root keep their look. It is served only
outside production.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie

from plugin_app.db import session, settings
from plugin_app.demo_store import shopper
from plugin_app.storefront.loader import loader_url

demo_store = Blueprint(
    "demo_store",
    __name__,
    url_prefix="/demo/store",
    template_folder="templates",
    static_folder="static",
)


def init_app(app: Flask) -> None:
    """Register the demo store, except in production (it signs demo identities)."""
    if not app.config["CIBLE_SETTINGS"].production:
        app.register_blueprint(demo_store)


def _shop():
    domain = request.args.get("shop")
    if domain:
        cookie["demo_shop"] = domain
    shop = shopper.find_shop(session(), domain or shopper.shop_domain())
    if shop is None:
        abort(
            render_template("demo_store/missing.html", domain=domain or shopper.shop_domain()),
            404,
        )
    # The demo store is served by Cible itself: the storefront endpoints accept their own
    # origin, so the shop's storefront origins need no entry for it.
    return shop


def _page(template: str, shop, page: dict, **context):
    """Render a page with what every page of the theme carries: the cart, the demo
    log-in switch and the settings the storefront script reads."""
    db = session()
    cart = shopper.cart_view(db, shop)
    customer = shopper.logged_in(db, shop)
    products = shopper.active_products(db, shop)
    categories = sorted({p.category for p in products if p.category})
    cible_settings = {
        "identity": shopper.identity_for(settings(), shop, customer),
        "consent": True,
        "cart": cart.summary(),
    }
    return render_template(
        f"demo_store/{template}",
        shop=shop,
        page=page,
        cart=cart,
        customer=customer,
        personas=shopper.personas(db, shop),
        categories=[(name, shopper.category_slug(name)) for name in categories],
        cible_settings=cible_settings,
        # Relative and versioned (immutable cache): the demo store is on our own origin.
        loader_url=loader_url("", shop.public_id),
        slug=shopper.category_slug,
        **context,
    )


@demo_store.get("/")
def home():
    shop = _shop()
    products = shopper.active_products(session(), shop)
    return _page("home.html", shop, {"type": "home"}, featured=products[:8])


@demo_store.get("/category/<slug>")
def category(slug: str):
    shop = _shop()
    products = [
        p
        for p in shopper.active_products(session(), shop)
        if p.category and shopper.category_slug(p.category) == slug
    ]
    if not products:
        abort(404)
    name = products[0].category
    return _page(
        "category.html",
        shop,
        {"type": "collection", "category": name},
        name=name,
        products=products,
    )


@demo_store.get("/product/<external_id>")
def product(external_id: str):
    shop = _shop()
    found = next(
        (p for p in shopper.active_products(session(), shop) if p.external_id == external_id),
        None,
    )
    if found is None:
        abort(404)
    return _page(
        "product.html",
        shop,
        {"type": "product", "product": found.external_id, "category": found.category},
        product=found,
    )


@demo_store.get("/cart")
def cart():
    shop = _shop()
    return _page("cart.html", shop, {"type": "cart"})


@demo_store.post("/cart")
def change_cart():
    """Add (`delta`) or set (`quantity`) a product's quantity. Answers the cart summary as
    JSON to the theme's script (which then dispatches `cible:cart`), or redirects a plain
    form post back to where it came from."""
    shop = _shop()
    product_id = request.form.get("product", "")
    delta = request.form.get("delta", type=int)
    quantity = request.form.get("quantity", type=int)
    if not product_id or (delta is None and quantity is None):
        return jsonify(error="product and delta or quantity are required"), 400
    shopper.change_cart(product_id, delta=delta, quantity=quantity)
    summary = shopper.cart_view(session(), shop).summary()
    if request.accept_mimetypes.best == "application/json":
        return jsonify(summary)
    return redirect(_back(url_for(".cart")))


@demo_store.post("/login")
def login():
    """The demo's "log in as" switch: which customer the signed identity names."""
    shop = _shop()
    external_id = request.form.get("customer", "")
    if external_id:
        cookie["demo_customer"] = external_id
    else:
        cookie.pop("demo_customer", None)
    del shop
    return redirect(_back(url_for(".home")))


def _back(default: str) -> str:
    """The page a form came from, only if it is one of the demo store's own."""
    wanted = request.form.get("next") or ""
    return wanted if wanted.startswith("/demo/store") and "//" not in wanted else default
