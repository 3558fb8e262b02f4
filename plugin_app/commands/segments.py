"""`cible segment`: count, list members, explain, create, list and evaluate segments.

A bad query exits with status 2 and the message a merchant needs (line, column, a caret
under the spot, a suggestion); `--now` fixes "today" so results are reproducible.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click
from flask.cli import with_appcontext

from plugin_app.db import session
from sync.segments.compile import compile_segment
from sync.segments.days import local_today, utc_naive
from sync.segments.errors import SegmentQueryError
from sync.segments.evaluate import (
    SegmentError,
    count_matching,
    create_segment,
    evaluate_segment,
    find_segment,
    matching_external_ids,
    shop_segments,
)
from sync.segments.language import to_json
from sync.segments.templates import TEMPLATES, add_template
from sync.segments.validate import parse_and_check
from sync.shops import ShopError, get_shop
from sync.store import utcnow


class Moment(click.ParamType):
    """An ISO 8601 moment; without an offset it is read as UTC."""

    name = "ISO8601"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        try:
            return utc_naive(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 date-time (e.g. 2026-11-27T09:00:00Z)")


shop_option = click.option("--shop", "domain", required=True, help="The shop's domain.")
now_option = click.option(
    "--now", type=Moment(), default=None, help="Evaluate as at this moment (default: now)."
)


def _shop(domain: str):
    try:
        return get_shop(session(), domain)
    except ShopError as error:
        raise click.ClickException(str(error)) from error


def _refuse(error: SegmentQueryError):
    click.echo(f"Error: {error}", err=True)
    sys.exit(2)


@click.group(help="Customer segments: test queries, store segments, evaluate them.")
def segment() -> None:
    pass


@segment.command("count", help="Count the shop's customers matching QUERY.")
@shop_option
@now_option
@click.argument("query")
@with_appcontext
def count(domain, now, query) -> None:
    shop = _shop(domain)
    try:
        click.echo(count_matching(session(), shop, query, now or utcnow()))
    except SegmentQueryError as error:
        _refuse(error)


@segment.command("members", help="Print the external ids of customers matching QUERY.")
@shop_option
@now_option
@click.option("--limit", type=int, default=None)
@click.argument("query")
@with_appcontext
def members(domain, now, limit, query) -> None:
    shop = _shop(domain)
    try:
        for external_id in matching_external_ids(session(), shop, query, now or utcnow(), limit):
            click.echo(external_id)
    except SegmentQueryError as error:
        _refuse(error)


@segment.command("explain", help="Show the compiled SQL, its parameters and the AST.")
@shop_option
@now_option
@click.argument("query")
@with_appcontext
def explain(domain, now, query) -> None:
    shop = _shop(domain)
    db = session()
    try:
        node = parse_and_check(query)
    except SegmentQueryError as error:
        _refuse(error)
    moment = now or utcnow()
    dialect = db.get_bind().dialect
    compiled = compile_segment(node, shop, moment, dialect.name).compile(dialect=dialect)
    click.echo(f"-- dialect: {dialect.name}")
    click.echo(f"-- today in {shop.timezone}: {local_today(moment, shop.timezone)}")
    click.echo(str(compiled))
    click.echo("-- parameters: " + json.dumps(compiled.params, default=str, sort_keys=True))
    click.echo("-- AST:")
    click.echo(json.dumps(to_json(node), indent=2, ensure_ascii=False))


@segment.command("create", help="Store a segment (and evaluate it).")
@shop_option
@click.option("--name", default=None, help="The segment's name.")
@click.option("--template", "template_key", default=None, help="Create from a template key.")
@now_option
@click.argument("query", required=False)
@with_appcontext
def create(domain, name, template_key, now, query) -> None:
    shop = _shop(domain)
    db = session()
    try:
        if template_key:
            created = add_template(db, shop, template_key)
        else:
            if not (name and query):
                raise click.UsageError("give --name and a QUERY, or --template KEY")
            created = create_segment(db, shop, name, query)
        result = evaluate_segment(db, created, now or utcnow())
    except SegmentQueryError as error:
        _refuse(error)
    except SegmentError as error:
        raise click.ClickException(str(error)) from error
    db.commit()
    click.echo(f"created segment {created.name!r}: {result.size} members")


@segment.command("list", help="List the shop's segments with member counts.")
@shop_option
@with_appcontext
def list_segments(domain) -> None:
    shop = _shop(domain)
    found = session().scalars(shop_segments(session(), shop.id)).all()
    if not found:
        click.echo(f"{shop.domain} has no segments yet: cible segment templates")
        return
    for item in found:
        evaluated = item.last_evaluated_at.isoformat() if item.last_evaluated_at else "never"
        flag = "daily" if item.time_relative else "on change"
        click.echo(f"{item.name}\t{item.member_count}\t{evaluated}\t{flag}\t{item.query}")


@segment.command("evaluate", help="Evaluate NAME, or every segment with --all.")
@shop_option
@click.argument("name", required=False)
@click.option("--all", "every", is_flag=True)
@now_option
@with_appcontext
def evaluate(domain, name, every, now) -> None:
    shop = _shop(domain)
    db = session()
    if bool(name) == every:
        raise click.UsageError("give a segment NAME or --all")
    try:
        chosen = (
            db.scalars(shop_segments(db, shop.id)).all()
            if every
            else [find_segment(db, shop, name)]
        )
    except SegmentError as error:
        raise click.ClickException(str(error)) from error
    moment = now or utcnow()
    for item in chosen:
        result = evaluate_segment(db, item, moment)
        db.commit()
        click.echo(f"{result.name}\t{result.size} members\t+{result.entered}\t-{result.exited}")


@segment.command("templates", help="List the ready-made segments.")
@click.option("--language", type=click.Choice(["en", "fr"]), default="en")
def templates(language) -> None:
    for template in TEMPLATES:
        click.echo(f"{template.key}\t{template.name(language)}\t{template.query}")


@segment.command("check", help="Check QUERY without running it (exit 2 when wrong).")
@click.argument("query")
def check(query) -> None:
    try:
        node = parse_and_check(query)
    except SegmentQueryError as error:
        _refuse(error)
    click.echo(json.dumps(to_json(node), ensure_ascii=False))
