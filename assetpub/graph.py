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


def closure_hashes(
    deps: Mapping[str, Sequence[str]], own: Mapping[str, str], *, only: set[str] | None = None,
    known: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """name -> hash of everything the name reaches (itself included), cycles included.

    With `only` (every name that reaches a changed one) and `known` (the previous hashes,
    still right for every other name, since nothing they reach changed), only the names
    in `only` are hashed again (watch mode) and only those are returned."""
    if only is not None:
        sub = {n: [d for d in deps.get(n, ()) if d in only] for n in only}
    else:
        sub, known = deps, {}
    comp_of: dict[str, int] = {}
    comp_hash: list[str] = []
    for i, component in enumerate(strongly_connected(sub)):
        for member in component:
            comp_of[member] = i
        outside = sorted(
            {comp_hash[comp_of[d]] if d in comp_of else known[d]
             for m in component for d in deps.get(m, ()) if comp_of.get(d, -1) != i}
        )
        members = [f"{m}\t{own[m]}" for m in component]
        comp_hash.append(combine("component", *members, "refs", *outside))
    return {name: comp_hash[comp_of[name]] for name in sub}


def reaching(deps: Mapping[str, Sequence[str]], targets: set[str], *, importers=None) -> set[str]:
    """The names that reach any of `targets` (the targets included). `importers` (the
    reverse of `deps`, when the caller keeps it) saves a pass over every edge."""
    if importers is None:
        importers = {}
        for name, ds in deps.items():
            for d in ds:
                importers.setdefault(d, []).append(name)
    seen, todo = set(targets), list(targets)
    while todo:
        for importer in importers.get(todo.pop(), ()):
            if importer not in seen:
                seen.add(importer)
                todo.append(importer)
    return seen
