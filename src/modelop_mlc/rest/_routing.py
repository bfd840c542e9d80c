"""Routes that describe themselves: method, path, handler, permissions and their OpenAPI.

Every resource module lists its routes as `ApiRoute`s; the app serves them and the OpenAPI
document describes them from the same entries, so the two cannot drift apart. A Camunda query
resource (`GET /task`) comes as a family of four: `GET`, `GET /count`, `POST` and
`POST /count`, sharing one filter function.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from modelop_mlc.rest._http import Context, Handler, json_body, json_response
from modelop_mlc.rest._query import Query, Window

__all__ = ["ApiRoute", "Paged", "Select", "query_routes"]

Select = Callable[[Context, Query, Request], Awaitable[Sequence[Any]]]
"""Returns every record a query selects, filtered and sorted (paging is applied after)."""


@dataclass(frozen=True)
class Paged:
    """A query resource the database pages and counts: no route reads more than a page.

    Attributes:
        page: The records of one `Window` and one more (to tell whether a page follows),
            filtered, sorted and paged by the store's query.
        count: How many records the query selects, counted by the database.
    """

    page: Callable[[Context, Query, Request, Window], Awaitable[Sequence[Any]]]
    count: Callable[[Context, Query, Request], Awaitable[int]]


@dataclass(frozen=True)
class ApiRoute:
    """One route and what the OpenAPI document says about it.

    Attributes:
        method: The HTTP method.
        path: The path relative to the app, with `{name}` parameters.
        handler: The request handler.
        permissions: Any one of these grants access (None: any authenticated caller).
        summary: One line for the document.
        params: Query parameters: name to OpenAPI type (`string`, `boolean`, `integer`).
        body: The request body's schema name, if it takes one.
        ok: The success status and the response schema name (None: no body).
        array: The response is a list of `ok`'s schema.
        sort_keys: The `sortBy` values of a list route.
        errors: The error statuses it answers.
    """

    method: str
    path: str
    handler: Handler
    permissions: Collection[str] | None
    summary: str
    params: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    ok: tuple[int, str | None] = (200, None)
    array: bool = False
    sort_keys: Sequence[str] = ()
    errors: tuple[int, ...] = (400, 401, 403, 404, 500)

    def entry(self) -> tuple[str, str, Handler, Collection[str] | None]:
        """The (method, path, handler, permissions) the app serves."""
        return (self.method, self.path, self.handler, self.permissions)


def query_routes(
    path: str,
    select: Select | Paged,
    *,
    params: Mapping[str, str],
    sort_keys: Sequence[str],
    schema: str,
    permissions: Collection[str] | None,
    what: str,
    post: bool = True,
) -> list[ApiRoute]:
    """The four routes of a Camunda query resource: list and count, by GET and by POST.

    Args:
        path: The list path (`/task`).
        select: The filter function, or the store's page and count (`Paged`).
        params: The filters it implements: name to OpenAPI type. Any other is answered 400.
        sort_keys: The `sortBy` values.
        schema: The schema name of one record.
        permissions: Who may query.
        what: What the records are, for the summaries (`user tasks`).
        post: Whether Camunda also offers the POST variants (not for every resource).
    """

    def get_query(request: Request) -> Query:
        return Query(request.query_params, allowed=params)

    async def post_query(context: Context, request: Request) -> Query:
        body = await json_body(request, context.max_upload_bytes)
        return Query.from_body(body, request.query_params, params)

    async def listed(context: Context, query: Query, request: Request) -> Response:
        window = query.window()
        if isinstance(select, Paged):
            return window.answer(request, await select.page(context, query, request, window))
        return window.answer(request, window.rows(await select(context, query, request)))

    async def counted(context: Context, query: Query, request: Request) -> Response:
        if isinstance(select, Paged):
            return json_response({"count": await select.count(context, query, request)})
        return json_response({"count": len(await select(context, query, request))})

    async def get_list(context: Context, request: Request) -> Response:
        return await listed(context, get_query(request), request)

    async def get_count(context: Context, request: Request) -> Response:
        return await counted(context, get_query(request), request)

    async def post_list(context: Context, request: Request) -> Response:
        return await listed(context, await post_query(context, request), request)

    async def post_count(context: Context, request: Request) -> Response:
        return await counted(context, await post_query(context, request), request)

    paging = {"firstResult": "integer", "maxResults": "integer"}
    common: dict[str, Any] = {"permissions": permissions, "errors": (400, 401, 403, 500)}
    routes = [
        ApiRoute(
            "GET",
            path,
            get_list,
            summary=f"List {what}",
            params={**params, "sortBy": "string", "sortOrder": "string", **paging},
            ok=(200, schema),
            array=True,
            sort_keys=sort_keys,
            **common,
        ),
        ApiRoute(
            "GET",
            f"{path}/count",
            get_count,
            summary=f"Count {what}",
            params=params,
            ok=(200, "Count"),
            **common,
        ),
        ApiRoute(
            "POST",
            path,
            post_list,
            summary=f"List {what} (filters in the body)",
            params=paging,
            body="QueryBody",
            ok=(200, schema),
            array=True,
            sort_keys=sort_keys,
            **common,
        ),
        ApiRoute(
            "POST",
            f"{path}/count",
            post_count,
            summary=f"Count {what} (filters in the body)",
            body="QueryBody",
            ok=(200, "Count"),
            **common,
        ),
    ]
    return routes if post else routes[:2]
