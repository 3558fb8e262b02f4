"""Sanitising merchant HTML and filling variables: nothing executable reaches a shopper."""

from __future__ import annotations

import pytest

from sync.campaigns.content import (
    ContentError,
    Variables,
    clean_content,
    compact_json,
    format_amount,
    json_renderer,
    render,
    renderer,
    sanitise_html,
)


@pytest.mark.parametrize(
    "dirty,forbidden",
    [
        ("<p>Hi<script>alert(1)</script></p>", "<script"),
        ('<p onclick="steal()">Hi</p>', "onclick"),
        ("<img src=x onerror=alert(1)>", "onerror"),
        ('<a href="javascript:alert(1)">x</a>', "javascript:"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', "alert"),
        ('<a href="java&#x09;script:alert(1)">x</a>', "alert"),
        ('<a href="data:text/html,<script>alert(1)</script>">x</a>', "data:"),
        ('<iframe src="https://evil.example"></iframe>', "iframe"),
        ("<style>body{display:none}</style><p>x</p>", "<style"),
        ('<p style="position:fixed">x</p>', "style="),
        ("<svg><script>alert(1)</script></svg>", "script"),
        ('<form action="https://evil"><input name=p></form>', "<form"),
        ("<object data=x></object><embed src=x>", "<object"),
        ("<!-- <script>alert(1)</script> -->", "script"),
    ],
)
def test_sanitising_removes_what_could_run(dirty, forbidden):
    clean = sanitise_html(dirty)
    assert forbidden.lower() not in clean.lower()


def test_sanitising_keeps_ordinary_markup():
    kept = sanitise_html(
        '<h2>Noël</h2><p class="x"><strong>-10 %</strong> <a href="https://shop/noel" '
        'target="_blank">voir</a></p><img src="https://cdn/x.png" alt="x">'
    )
    assert "<h2>Noël</h2>" in kept and "<strong>-10 %</strong>" in kept
    assert 'href="https://shop/noel"' in kept and 'rel="noopener noreferrer"' in kept
    assert '<img src="https://cdn/x.png" alt="x">' in kept


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JAVASCRIPT:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,x",
        "vbscript:x",
    ],
)
def test_unsafe_urls_are_refused(url):
    with pytest.raises(ContentError):
        clean_content({"title": "x", "button": {"label": "Go", "action": "link", "url": url}})
    with pytest.raises(ContentError):
        clean_content({"title": "x", "image_url": url})


def test_safe_urls_pass():
    content = clean_content(
        {
            "title": "x",
            "image_url": "/img/a.png",
            "button": {"label": "Go", "url": "https://shop.example/cart"},
        }
    )
    assert content["button"] == {
        "label": "Go",
        "action": "link",
        "url": "https://shop.example/cart",
    }
    assert content["image_url"] == "/img/a.png"


def test_variables_are_escaped_in_html_and_plain_in_text():
    content = clean_content(
        {
            "title": "Bonjour {{ first_name }}",
            "html": '<p>Bonjour {{first_name|default:"ami"}}, {{ cart_total }}, '
            "{{ loyalty_points }} points</p>",
            "button": {"label": "Merci {{ first_name }}", "action": "close"},
        }
    )
    hostile = Variables(
        first_name='<img src=x onerror="alert(1)">', cart_total="€5.00", loyalty_points="12"
    )
    shown = render(content, hostile)
    assert "<img" not in shown["html"]
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in shown["html"]
    assert shown["title"] == 'Bonjour <img src=x onerror="alert(1)">'  # text: textContent
    assert "€5.00, 12 points" in shown["html"]
    assert render(content, Variables())["html"] == "<p>Bonjour ami, ,  points</p>"
    assert shown["button"]["label"].startswith("Merci <img")
    assert content["html"].count("{{") == 3  # the stored text keeps its variables


@pytest.mark.parametrize(
    "content",
    [
        {},
        {"title": "Sans variable", "html": "<p>Rien à remplir</p>"},
        {"title": "Bonjour {{ first_name }}"},  # no html: rendering adds an empty one
        {
            "title": 'Bonjour {{ first_name | default: "cher \\"client\\"" }}',
            "html": "<p>Panier : {{ cart_total }} ; points : {{ loyalty_points }}</p>",
            "image_url": "https://shop.example/a.png",
            "image_alt": "Pour {{ first_name }}",
            "discount_code": "CODE{{ loyalty_points }}",
            "button": {"label": "Merci {{ first_name }}", "action": "link", "url": "/cart"},
            "form": {
                "fields": ["email"],
                "consent_text": "J'accepte, {{ first_name }}",
                "submit_label": "OK",
                "success_text": 'Merci {{ first_name|default:"à vous" }}',
            },
        },
        {"html": "<p>\ue0000\ue000 {{ first_name }}</p>", "title": "\ue0000\ue000"},
    ],
)
def test_content_json_is_the_rendered_content_encoded(content):
    """decide answers with JSON written once and filled per visitor: the same text as
    encoding the rendered content, for any visitor (hostile values included)."""
    visitors = [
        Variables(),
        Variables(first_name="Ana", cart_total="12,50\u00a0€", loyalty_points="40"),
        Variables(first_name='<b>"Zoé"</b>\\\n\u2028', cart_total="", loyalty_points="0"),
    ]
    for variables in visitors:
        expected = compact_json(renderer(content)(variables))
        assert json_renderer(content)(variables) == expected


def test_unknown_variables_and_missing_consent_are_refused():
    with pytest.raises(ContentError, match="unknown variable"):
        clean_content({"html": "<p>{{ password }}</p>"})
    with pytest.raises(ContentError, match="consent_text"):
        clean_content({"title": "Join", "form": {"fields": ["email"]}})
    with pytest.raises(ContentError, match="unknown content fields"):
        clean_content({"title": "x", "onload": "y"})


def test_control_variants_have_no_content():
    assert clean_content({"title": "ignored"}, control=True) == {}


def test_amounts_follow_the_shops_language():
    assert format_amount(1234.5, "EUR", "fr") == "1\u202f234,50\u00a0€"
    assert format_amount(42.5, "EUR", "en") == "€42.50"
    assert format_amount(None, "EUR", "fr") is None
