"""For `serve --live-reload` without `watch`: tell clients to restyle or reload when the
manifest or the header sidecar of the served directory is replaced (by a build or a
publish)."""

from __future__ import annotations

import os

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from ..errors import ManifestError
from ..manifest import MANIFEST_NAME, Manifest
from ..origin import SIDECAR


class _Handler(FileSystemEventHandler):
    def __init__(self, server, names: set[str]):
        self.server = server
        self.names = names
        self.manifest = _load(server.root)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in ("created", "modified", "moved"):
            return
        path = os.fsdecode(event.dest_path or event.src_path)
        if os.path.abspath(path) in self.names:
            previous, self.manifest = self.manifest, _load(self.server.root)
            self.server.reload(previous=previous, current=self.manifest)


def _load(root) -> Manifest | None:
    try:
        return Manifest.load(root)
    except ManifestError:  # none yet, or caught mid-write by a non-atomic writer: reload
        return None


def follow_manifest(server) -> Observer:
    """A started watchdog observer that calls `server.reload()` when the manifest changes."""
    root = os.path.abspath(server.root)
    sidecar = os.path.join(root, *SIDECAR.split("/"))
    observer = Observer()
    handler = _Handler(server, {os.path.join(root, MANIFEST_NAME), sidecar})
    observer.schedule(handler, root, recursive=False)
    if os.path.isdir(os.path.dirname(sidecar)):
        observer.schedule(handler, os.path.dirname(sidecar), recursive=False)
    observer.start()
    return observer
