"""An automatic layout for processes drawn without BPMN DI.

A layered layout, left to right: back edges (loops) are found by a depth-first search from
the start events and reversed, every node goes into the column of its longest path from a
start, and nodes in a column are ordered by where their predecessors sit, keeping each on
the row of the node before it where it can. Expanded sub-processes are laid out the same way
inside their box; boundary events sit on their host's lower edge. Loops run below the rest.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from modelop_mlc.drawing._bpmn import CONTAINERS, EVENTS, FLOW_NODES, GATEWAYS, local
from modelop_mlc.drawing._planes import Box, Edge, Plane, Shape

__all__ = ["layout_process"]

_GAP_X = 60.0
_GAP_Y = 60.0
_PAD = 30.0
_HEADER = 24.0  # room for a sub-process's name above its contents
_LOOP_STEP = 12.0  # vertical spacing of loop lanes below the content
_EVENT = 36.0
_GATEWAY = 50.0
_TASK = (100.0, 80.0)


def layout_process(process: ET.Element) -> Plane:
    """Lay out `process` (a process or sub-process element) as a plane of shapes and edges."""
    plane = Plane(process.get("name") or process.get("id") or "", automatic=True)
    _Container(process).place(0.0, 0.0, plane)
    return plane


def _size(element: ET.Element) -> tuple[float, float]:
    tag = local(element.tag)
    if tag in EVENTS:
        return _EVENT, _EVENT
    if tag in GATEWAYS:
        return _GATEWAY, _GATEWAY
    return _TASK


class _Container:
    """The flow nodes of one process or sub-process, ranked into columns and rows."""

    width: float
    height: float

    def __init__(self, element: ET.Element, *, nested: bool = False) -> None:
        self.top = _PAD + (_HEADER if nested else 0.0)
        children = list(element)
        self.nodes = [
            c for c in children if local(c.tag) in FLOW_NODES and local(c.tag) != "boundaryEvent"
        ]
        ids = {n.get("id", "") for n in self.nodes}
        self.boundaries: dict[str, list[ET.Element]] = {}
        for child in children:
            if local(child.tag) == "boundaryEvent" and child.get("attachedToRef") in ids:
                self.boundaries.setdefault(child.get("attachedToRef", ""), []).append(child)
        host = {b.get("id", ""): h for h, found in self.boundaries.items() for b in found}
        self.flows = [
            c
            for c in children
            if local(c.tag) == "sequenceFlow"
            and host.get(c.get("sourceRef", ""), c.get("sourceRef", "")) in ids
            and c.get("targetRef", "") in ids
        ]
        self.host = host
        self.gateways = {n.get("id", "") for n in self.nodes if local(n.tag) in GATEWAYS}
        self.inner = {
            n.get("id", ""): _Container(n, nested=True)
            for n in self.nodes
            if local(n.tag) in CONTAINERS
        }
        self.sizes = {
            n.get("id", ""): (
                (self.inner[n.get("id", "")].width, self.inner[n.get("id", "")].height)
                if n.get("id", "") in self.inner
                else _size(n)
            )
            for n in self.nodes
        }
        self._rank()
        self._measure()

    # ------------------------------------------------------------------ ranking

    def _arcs(self) -> list[tuple[str, str, ET.Element]]:
        return [
            (
                self.host.get(f.get("sourceRef", ""), f.get("sourceRef", "")),
                f.get("targetRef", ""),
                f,
            )
            for f in self.flows
        ]

    def _rank(self) -> None:
        order = [n.get("id", "") for n in self.nodes]
        successors: dict[str, list[str]] = {n: [] for n in order}
        incoming: dict[str, int] = dict.fromkeys(order, 0)
        for source, target, _ in self._arcs():
            successors[source].append(target)
            incoming[target] += 1
        starts = [n.get("id", "") for n in self.nodes if local(n.tag) == "startEvent"]
        roots = starts + [n for n in order if incoming[n] == 0 and n not in starts] + order
        visited: list[str] = []
        self.back: set[tuple[str, str]] = set()
        on_path: set[str] = set()
        seen: set[str] = set()
        for root in roots:
            if root in seen:
                continue
            # An explicit stack: diagrams can be long enough to exhaust Python's recursion.
            stack: list[tuple[str, int]] = [(root, 0)]
            seen.add(root)
            on_path.add(root)
            visited.append(root)
            while stack:
                node, index = stack[-1]
                if index < len(successors[node]):
                    stack[-1] = (node, index + 1)
                    nxt = successors[node][index]
                    if nxt in on_path:
                        self.back.add((node, nxt))
                    elif nxt not in seen:
                        seen.add(nxt)
                        on_path.add(nxt)
                        visited.append(nxt)
                        stack.append((nxt, 0))
                else:
                    on_path.discard(node)
                    stack.pop()
        rank = dict.fromkeys(order, 0)
        forward = [(s, t) for s, t, _ in self._arcs() if (s, t) not in self.back and s != t]
        # Longest path over the acyclic rest, in visiting order (a topological order of it
        # is found by relaxing until nothing changes; diagrams are small).
        for _ in range(len(order)):
            changed = False
            for source, target in forward:
                if rank[target] < rank[source] + 1:
                    rank[target] = rank[source] + 1
                    changed = True
            if not changed:
                break
        self.rank = rank
        discovery = {node: i for i, node in enumerate(visited)}
        predecessors: dict[str, list[str]] = {n: [] for n in order}
        for source, target in forward:
            predecessors[target].append(source)
        self.row: dict[str, int] = {}
        for column in range(max(rank.values(), default=-1) + 1):
            members = [n for n in order if rank[n] == column]
            wanted = {
                n: (
                    sum(self.row[p] for p in predecessors[n]) / len(predecessors[n])
                    if predecessors[n]
                    else 0.0
                )
                for n in members
            }
            members.sort(key=lambda n: (wanted[n], discovery.get(n, 0)))
            last = -1
            for node in members:
                last = max(last + 1, round(wanted[node]))
                self.row[node] = last

    def _measure(self) -> None:
        columns = max(self.rank.values(), default=-1) + 1
        rows = max(self.row.values(), default=-1) + 1
        self.col_w = [0.0] * columns
        self.row_h = [0.0] * rows
        for node, (w, h) in self.sizes.items():
            self.col_w[self.rank[node]] = max(self.col_w[self.rank[node]], w)
            self.row_h[self.row[node]] = max(self.row_h[self.row[node]], h)
        content_w = sum(self.col_w) + _GAP_X * max(columns - 1, 0)
        content_h = sum(self.row_h) + _GAP_Y * max(rows - 1, 0)
        loops = sum(1 for s, t, _ in self._arcs() if self._backward(s, t))
        escapes = sum(1 for f in self.flows if f.get("sourceRef") in self.host)
        # Loops run above the content, flows out of boundary events below it.
        self.ceiling = self.top + _GAP_Y / 3 + (loops - 1) * _LOOP_STEP if loops else self.top
        self.top = self.ceiling + (_GAP_Y / 3 if loops else 0.0)
        self.floor = self.top + content_h + _GAP_Y / 2
        self.width = max(content_w + 2 * _PAD, _TASK[0] + 2 * _PAD)
        self.height = max(self.floor + escapes * _LOOP_STEP + _PAD, _TASK[1])

    def _backward(self, source: str, target: str) -> bool:
        return (source, target) in self.back or self.rank[target] <= self.rank[source]

    # ------------------------------------------------------------------ placing

    def place(self, x0: float, y0: float, plane: Plane) -> None:
        """Add this container's shapes and edges to `plane`, its corner at (x0, y0)."""
        boxes: dict[str, Box] = {}
        for node in self.nodes:
            ref = node.get("id", "")
            w, h = self.sizes[ref]
            column, row = self.rank[ref], self.row[ref]
            x = (
                x0
                + _PAD
                + sum(self.col_w[:column])
                + column * _GAP_X
                + (self.col_w[column] - w) / 2
            )
            y = y0 + self.top + sum(self.row_h[:row]) + row * _GAP_Y + (self.row_h[row] - h) / 2
            boxes[ref] = Box(x, y, w, h)
            expanded = ref in self.inner
            plane.shapes.append(Shape(ref, node, boxes[ref], expanded=expanded))
            if expanded:
                self.inner[ref].place(x, y, plane)
        for host, attached in self.boundaries.items():
            box = boxes[host]
            for index, boundary in enumerate(attached):
                x = box.x + box.w * (index + 1) / (len(attached) + 1) - _EVENT / 2
                ref = boundary.get("id", "")
                boxes[ref] = Box(x, box.y + box.h - _EVENT / 2, _EVENT, _EVENT)
                plane.shapes.append(Shape(ref, boundary, boxes[ref]))
        loops = escapes = 0
        for source, target, flow in self._arcs():
            start = boxes[flow.get("sourceRef", "")]
            end = boxes[target]
            backward = self._backward(source, target)
            if backward:
                floor = y0 + self.ceiling - loops * _LOOP_STEP
                loops += 1
            else:
                floor = y0 + self.floor + escapes * _LOOP_STEP
                escapes += flow.get("sourceRef") in self.host
            points = _route(
                start,
                end,
                flow,
                backward=backward,
                floor=floor,
                host=self.host,
                gateway=source in self.gateways,
            )
            plane.edges.append(Edge(flow.get("id", ""), flow, points))


def _route(
    start: Box,
    end: Box,
    flow: ET.Element,
    *,
    backward: bool,
    floor: float,
    host: dict[str, str],
    gateway: bool,
) -> tuple[tuple[float, float], ...]:
    """Orthogonal waypoints from `start` to `end`."""
    points: Sequence[tuple[float, float]]
    bottom = start.y + start.h
    if backward:
        # `floor` is the lane above the content that loops run along.
        # Into an activity left of its centre, clear of a note written above it.
        x = end.x + end.w * 0.2 if end.w > _GATEWAY else end.cx
        points = [(start.cx, start.y), (start.cx, floor), (x, floor), (x, end.y)]
    elif flow.get("sourceRef") in host:
        # Out of a boundary event: down, along, then into the target from the left.
        if end.cy > bottom:
            points = [(start.cx, bottom), (start.cx, end.cy), (end.x, end.cy)]
        else:
            middle = end.x - _GAP_X / 2
            points = [
                (start.cx, bottom),
                (start.cx, floor),
                (middle, floor),
                (middle, end.cy),
                (end.x, end.cy),
            ]
    elif abs(start.cy - end.cy) < 1:
        points = [(start.x + start.w, start.cy), (end.x, end.cy)]
    elif gateway:
        edge_y = start.y + start.h if end.cy > start.cy else start.y
        points = [(start.cx, edge_y), (start.cx, end.cy), (end.x, end.cy)]
    else:
        middle = end.x - _GAP_X / 2
        points = [
            (start.x + start.w, start.cy),
            (middle, start.cy),
            (middle, end.cy),
            (end.x, end.cy),
        ]
    return tuple(points)
