"""The reference graph: strongly connected components (iterative Tarjan) and the
component hashes that fingerprints are made of."""

from __future__ import annotations

from typing import Mapping, Sequence

from .digest import combine


def strongly_connected(deps: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Components in reverse topological order (a component comes after those it references)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(deps):
        if root in index:
            continue
        work = [(root, iter(sorted(deps.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(deps.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(sorted(component))
    return out


def closure_hashes(deps: Mapping[str, Sequence[str]], own: Mapping[str, str]) -> dict[str, str]:
    """name -> hash of everything the name reaches (itself included), cycles included."""
    comp_of: dict[str, int] = {}
    comp_hash: list[str] = []
    for i, component in enumerate(strongly_connected(deps)):
        for member in component:
            comp_of[member] = i
        outside = sorted(
            {comp_hash[comp_of[d]] for m in component for d in deps.get(m, ()) if comp_of.get(d, i) != i}
        )
        members = [f"{m}\t{own[m]}" for m in component]
        comp_hash.append(combine("component", *members, "refs", *outside))
    return {name: comp_hash[comp_of[name]] for name in deps}
