"""How campaigns look and behave: slots without layout shift, popups the theme cannot
restyle, keyboard use, small screens, and the admin's preview renderer."""

from __future__ import annotations

from plugin_app.storefront.loader import loader_url
from tests.browser.conftest import popup, popups

HOME = "/demo/store/"
PRODUCT = "/demo/store/product/P0001"

# Records layout shifts from the very start of the page (each with its time and the elements
# that moved, so that a failure says what moved), and the slot's box as the theme laid it
# out (before the loader can have touched it).
WATCH_LAYOUT = """
window.__shifts = [];
const describe = (node) =>
  node ? `${node.nodeName}#${node.id || ''}.${node.className || ''}` : null;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.hadRecentInput) continue;
    const moved = (entry.sources || []).map(
      (s) => [describe(s.node), s.previousRect.toJSON(), s.currentRect.toJSON()]);
    window.__shifts.push({value: entry.value, at: entry.startTime, moved});
  }
}).observe({type: 'layout-shift', buffered: true});
document.addEventListener('DOMContentLoaded', () => {
  const slot = document.querySelector('[data-cible-slot]');
  if (slot) window.__slotBefore = slot.getBoundingClientRect().toJSON();
});
"""


def inline(**overrides) -> dict:
    document = {
        "name": "Hero",
        "kind": "inline",
        "slot": "home-hero",
        "variants": [
            {
                "key": "a",
                "content": {
                    "title": "Contenu choisi pour vous",
                    "html": "<p>Un texte plus long que celui du thème, sur plusieurs lignes, "
                    "pour vérifier que le bloc garde sa taille quoi qu'il contienne.</p>" * 3,
                    "button": {"label": "Voir", "action": "link", "url": "/demo/store/cart"},
                },
            }
        ],
    }
    document.update(overrides)
    return document


def test_the_slot_fills_in_place_without_layout_shift(front, page):
    front.only(inline())
    page.page.add_init_script(WATCH_LAYOUT)
    page.page.goto(front.url(HOME))
    page.page.wait_for_function("document.querySelector('[data-cible-slot]').shadowRoot")
    page.page.wait_for_timeout(300)
    slot = page.page.locator("[data-cible-slot=home-hero]")
    assert slot.get_by_role("heading", name="Contenu choisi pour vous").is_visible()
    after = slot.bounding_box()
    before = page.page.evaluate("window.__slotBefore")
    for key in ("x", "y", "width", "height"):
        assert abs(after[key] - before[key]) < 0.5, (key, before, after)
    assert page.page.evaluate("window.__shifts") == []
    # The theme's default content stays in the document (hidden behind the shadow root).
    assert slot.evaluate("s => s.querySelector('h2').textContent") == "Chocolats et cafés de Nantes"


def test_the_slot_keeps_its_default_content_when_nothing_is_chosen(front, page):
    front.only(inline(audience={"visitors": "identified"}))
    page.page.goto(front.url(HOME))
    page.page.wait_for_function("window.Cible && window.Cible.version")
    page.page.wait_for_timeout(500)
    slot = page.page.locator("[data-cible-slot=home-hero]")
    assert slot.get_by_role("heading", name="Chocolats et cafés de Nantes").is_visible()
    assert slot.evaluate("s => s.shadowRoot") is None


STYLE_OF = """([selector, props]) => {
  const root = document.querySelector('cible-root').shadowRoot;
  const el = root.querySelector(selector);
  const style = getComputedStyle(el);
  return Object.fromEntries(props.map((p) => [p, style.getPropertyValue(p)]));
}"""
PROPS = [
    "font-family", "font-size", "font-weight", "font-style", "color", "background-color",
    "border-top-style", "border-top-width", "padding-top", "padding-left", "margin-top",
    "transform", "text-transform", "letter-spacing", "line-height", "text-shadow", "box-shadow",
    "box-sizing", "text-align", "width", "height",
]  # fmt: skip


def test_the_theme_stylesheet_does_not_change_the_popup(front, page):
    """The demo theme restyles div, button, h2, input, p and *: inside the shadow root
    nothing changes, property by property and pixel by pixel."""
    form = {"fields": ["email"], "consent_text": "J'accepte.", "submit_label": "Envoyer"}
    document = popup()
    document["variants"][0]["content"]["form"] = form
    front.only(document)
    page.page.goto(front.url(PRODUCT))
    dialog = page.page.get_by_role("dialog", name="Offre test")
    dialog.wait_for()
    selectors = [".bx", "h2", ".tx p", "button.x", "button.bt", "input.f", "label"]
    themed = {s: page.page.evaluate(STYLE_OF, [s, PROPS]) for s in selectors}
    box = dialog.bounding_box()
    # Inside the rounded corners: the page behind the backdrop changes with the theme.
    inner = {"x": box["x"] + 12, "y": box["y"] + 12, "width": box["width"] - 24,
             "height": box["height"] - 24}  # fmt: skip
    themed_picture = page.page.screenshot(clip=inner)
    assert themed["h2"]["text-transform"] == "none"  # the theme says uppercase
    page.page.evaluate("document.querySelector('link[rel=stylesheet]').remove()")
    assert (
        page.page.evaluate("getComputedStyle(document.querySelector('h2')).textTransform") == "none"
    )
    bare = {s: page.page.evaluate(STYLE_OF, [s, PROPS]) for s in selectors}
    assert themed == bare
    assert dialog.bounding_box() == box
    assert page.page.screenshot(clip=inner) == themed_picture


def test_keyboard_focus_is_trapped_escape_closes_and_focus_returns(front, page):
    document = popup(triggers=[{"type": "delay", "seconds": 1}])
    document["variants"][0]["content"]["form"] = {
        "fields": ["email"],
        "consent_text": "J'accepte.",
    }
    front.only(document)
    page.page.goto(front.url(PRODUCT))
    page.page.focus("a.cart-link")
    dialog = page.page.get_by_role("dialog", name="Offre test")
    dialog.wait_for()
    assert dialog.get_attribute("aria-modal") == "true"
    focused = "document.activeElement.tagName + '>' + (document.activeElement.shadowRoot ? document.activeElement.shadowRoot.activeElement.className || document.activeElement.shadowRoot.activeElement.tagName : '')"  # noqa: E501
    # Focus moved into the dialog (its first field).
    assert page.page.evaluate(focused) == "CIBLE-ROOT>f"
    seen = set()
    for _ in range(8):  # close, email, consent, submit, link-or-button: cycles twice
        page.page.keyboard.press("Tab")
        where = page.page.evaluate(focused)
        assert where.startswith("CIBLE-ROOT>"), where
        seen.add(where)
    assert {"CIBLE-ROOT>x", "CIBLE-ROOT>f", "CIBLE-ROOT>bt"} <= seen
    for _ in range(6):
        page.page.keyboard.press("Shift+Tab")
        assert page.page.evaluate(focused).startswith("CIBLE-ROOT>")
    close = page.page.get_by_role("button", name="Fermer")
    assert close.is_visible()
    page.page.keyboard.press("Escape")
    assert popups(page.page) == 0
    assert page.page.evaluate("document.activeElement.className") == "cart-link"


def test_a_small_screen_gets_the_whole_popup_with_large_tap_targets(front, new_page):
    front.only(popup())
    phone = new_page(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
    phone.page.goto(front.url(PRODUCT))
    dialog = phone.page.get_by_role("dialog", name="Offre test")
    dialog.wait_for()
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert box["y"] >= 0 and box["y"] + box["height"] <= 640
    for name in ("Fermer", "Continuer"):
        target = phone.page.get_by_role("button", name=name).bounding_box()
        assert target["height"] >= 44 and target["width"] >= 44, (name, target)
    phone.page.get_by_role("button", name="Fermer").tap()
    assert popups(phone.page) == 0


def test_slide_in_and_banner_do_not_shift_the_page(front, page):
    slide = popup(name="Slide", kind="slide_in", priority=5)
    banner = popup(name="Banner", kind="banner")
    banner["variants"][0]["content"] = {"title": "Soldes : -20 % sur les coffrets"}
    front.only(slide, banner)
    page.page.add_init_script(WATCH_LAYOUT)
    page.page.goto(front.url(PRODUCT))
    page.page.get_by_role("region", name="Soldes : -20 % sur les coffrets").wait_for()
    slide_in = page.page.get_by_role("dialog", name="Offre test")
    slide_in.wait_for()
    assert slide_in.get_attribute("aria-modal") == "false"
    page.page.wait_for_timeout(200)
    assert page.page.evaluate("window.__shifts") == []
    # A slide-in does not take the focus away from the page.
    assert page.page.evaluate("document.activeElement.tagName") == "BODY"


def test_the_preview_renders_without_decide_or_events(front, page):
    """The admin's live preview: the real renderer (window.Cible.render), on a page whose
    script tag says data-cible-preview, never asks decide nor reports anything."""
    src = front.url(loader_url("", front.shop.public_id))
    page.page.set_content(
        f'<html lang="fr"><body><div id="preview" style="width:420px"></div>'
        f'<script data-cible-preview src="{src}"></script></body></html>'
    )
    page.page.wait_for_function("window.Cible && window.Cible.render")
    before = len(front.received.bodies)
    content = popup()["variants"][0]["content"]
    page.page.evaluate(
        """(content) => { window.__close = Cible.render(
             {id: 'x', kind: 'popup', content}, {host: document.getElementById('preview'),
             device: 'mobile'}); }""",
        content,
    )
    dialog = page.page.get_by_role("dialog", name="Offre test")
    assert dialog.is_visible()
    page.page.get_by_role("button", name="Continuer").click()
    page.page.evaluate("window.__close()")
    assert popups(page.page) == 0
    page.page.wait_for_timeout(300)
    assert front.received.bodies[before:] == []
