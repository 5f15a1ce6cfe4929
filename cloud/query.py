"""Neutron's list semantics, on the views of one collection: filters by any declared
attribute (a repeated filter means any of its values; values converted as Neutron converts
them), tag filters, `fields=`, `sort_key`/`sort_dir`, and `limit`/`marker`/`page_reverse`
pagination with the `<collection>_links` Neutron returns. A filter or sort key the resource
does not have is refused (Neutron's filter-validation), so a misspelt filter never silently
returns everything.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from cloud.attributes import Attr, attributes, to_boolean, to_int
from cloud.errors import Refused

PAGING = ("fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse")
TAG_FILTERS = ("tags", "tags-any", "not-tags", "not-tags-any")
FIXED_IP_KEYS = ("ip_address", "subnet_id", "ip_address_substr")
Params = list[tuple[str, str]]


def _matches(attr: Attr, value: Any, wanted: list[str]) -> bool:
    for text in wanted:
        if value is None:
            if text in ("", "None", "null"):
                return True
            continue
        try:
            if isinstance(value, bool):
                if to_boolean(text) == value:
                    return True
            elif isinstance(value, int):
                if to_int(text) == value:
                    return True
            elif str(value) == text:
                return True
        except ValueError:
            raise Refused(400, f"Invalid input for {attr.name}: {text!r}") from None
    return False


def _fixed_ips_match(fixed: list[dict], wanted: list[str]) -> bool:
    """Neutron's fixed_ips filter: `ip_address=X`, `subnet_id=S`, `ip_address_substr=P`;
    one allocation of the port must satisfy every kind given (any of each kind's values)."""
    kinds: dict[str, list[str]] = {}
    for text in wanted:
        key, sep, val = text.partition("=")
        if not sep or key not in FIXED_IP_KEYS:
            raise Refused(400, f"Invalid fixed_ips filter {text!r}: use "
                          f"{', '.join(k + '=...' for k in FIXED_IP_KEYS)}")
        kinds.setdefault(key, []).append(val)
    for alloc in fixed:
        if all(any(v in alloc["ip_address"] for v in vals) if key == "ip_address_substr"
               else alloc.get(key) in vals for key, vals in kinds.items()):
            return True
    return False


def _tags_match(tags: list[str], filters: dict[str, list[str]]) -> bool:
    for key, values in filters.items():
        for text in values:
            wanted = {t for t in text.split(",") if t}
            have = wanted & set(tags)
            if key == "tags" and have != wanted or key == "tags-any" and not have or \
                    key == "not-tags" and wanted and have == wanted or \
                    key == "not-tags-any" and have:
                return False
    return True


def filtered(coll: str, items: list[dict], params: Params) -> list[dict]:
    declared = attributes(coll)
    filters: dict[str, list[str]] = {}
    tag_filters: dict[str, list[str]] = {}
    for key, value in params:
        if key in PAGING:
            continue
        if key in TAG_FILTERS:
            tag_filters.setdefault(key, []).append(value)
        elif key not in declared or not declared[key].filter:
            raise Refused(400, f"{key} is invalid attribute for filtering")
        else:
            filters.setdefault(key, []).append(value)
    out = []
    for item in items:
        ok = all(_fixed_ips_match(item.get(key) or [], values) if key == "fixed_ips"
                 else _matches(declared[key], item.get(key), values)
                 for key, values in filters.items())
        if ok and tag_filters:
            ok = _tags_match(item.get("tags") or [], tag_filters)
        if ok:
            out.append(item)
    return out


def _sort_value(value: Any):
    return (value is not None, value if isinstance(value, (int, float, str)) else str(value))


def ordered(coll: str, items: list[dict], params: Params) -> list[dict]:
    keys = [v for k, v in params if k == "sort_key"]
    dirs = [v for k, v in params if k == "sort_dir"]
    if not keys:
        if dirs:
            raise Refused(400, "sort_dir given without sort_key")
        return items
    if dirs and len(dirs) != len(keys):
        raise Refused(400, "The number of sort_keys and sort_dirs must be same")
    declared = attributes(coll)
    for key in keys:
        if key not in declared or not declared[key].sort:
            raise Refused(400, f"{key} is invalid attribute for sort_key")
    for d in dirs:
        if d not in ("asc", "desc"):
            raise Refused(400, f"{d} is invalid value for sort_dir (asc or desc)")
    dirs = dirs or ["asc"] * len(keys)
    out = sorted(items, key=lambda i: i.get("id") or i.get("name") or "")  # tie-breaker
    for key, direction in reversed(list(zip(keys, dirs, strict=True))):
        out.sort(key=lambda i, k=key: _sort_value(i.get(k)), reverse=direction == "desc")
    return out


def _ident(item: dict) -> str:
    return item.get("id") or item.get("name") or ""


def paginated(coll: str, items: list[dict], params: Params, url: str
              ) -> tuple[list[dict], list[dict]]:
    """(the page, its links): up to `limit` items after `marker` (before it with
    page_reverse); a `next` link when more follow, a `previous` link after a marker."""
    one = {k: v for k, v in params if k in ("limit", "marker", "page_reverse")}
    if "limit" not in one:
        if "marker" in one:
            raise Refused(400, "marker needs limit")
        return items, []
    try:
        limit = to_int(one["limit"])
        reverse = to_boolean(one.get("page_reverse", False))
    except ValueError as exc:
        raise Refused(400, f"Invalid pagination: {exc}") from None
    if limit < 0:
        raise Refused(400, f"Limit must be an integer 0 or greater and not '{limit}'")
    if limit == 0:
        return items, []
    seq = list(reversed(items)) if reverse else items
    start = 0
    if "marker" in one:
        position = next((i for i, item in enumerate(seq) if _ident(item) == one["marker"]),
                        None)
        if position is None:
            raise Refused(400, f"marker {one['marker']} is not in the {coll}")
        start = position + 1
    page = seq[start:start + limit]
    more = start + limit < len(seq)
    keep = [(k, v) for k, v in params if k not in ("limit", "marker", "page_reverse")]
    links = []

    def link(rel: str, marker: str, backwards: bool) -> dict:
        query = keep + [("limit", str(limit)), ("marker", marker)]
        if backwards:
            query.append(("page_reverse", "True"))
        return {"rel": rel, "href": f"{url}?{urlencode(query)}"}
    if page:
        forward_more, backward_more = (more, start > 0) if not reverse else (start > 0, more)
        first, last = (page[0], page[-1]) if not reverse else (page[-1], page[0])
        if forward_more:
            links.append(link("next", _ident(last), False))
        if backward_more:
            links.append(link("previous", _ident(first), True))
    if reverse:
        page = list(reversed(page))
    return page, links


def fields_of(items: list[dict], params: Params) -> list[dict]:
    wanted = [v for k, v in params if k == "fields" and v]
    if not wanted:
        return items
    return [{k: item[k] for k in wanted if k in item} for item in items]


def select(coll: str, items: list[dict], params: Params, url: str
           ) -> tuple[list[dict], list[dict]]:
    """Filter, sort, paginate and cut to `fields`: (items, links)."""
    items = ordered(coll, filtered(coll, items, params), params)
    page, links = paginated(coll, items, params, url)
    return fields_of(page, params), links
