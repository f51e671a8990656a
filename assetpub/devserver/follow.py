"""For `serve --live-reload` without `watch`: tell clients to reload when the manifest
or the header sidecar of the served directory is replaced (by a build or a publish)."""

from __future__ import annotations

import os

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from ..manifest import MANIFEST_NAME
from .headers import SIDECAR


class _Handler(FileSystemEventHandler):
    def __init__(self, server, names: set[str]):
        self.server = server
        self.names = names

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in ("created", "modified", "moved"):
            return
        path = os.fsdecode(event.dest_path or event.src_path)
        if os.path.abspath(path) in self.names:
            self.server.reload()


def follow_manifest(server) -> Observer:
    """A started watchdog observer that calls `server.reload()` when the manifest changes."""
    root = os.path.abspath(server.root)
    names = {os.path.join(root, MANIFEST_NAME), os.path.join(root, *SIDECAR.split("/"))}
    observer = Observer()
    handler = _Handler(server, names)
    observer.schedule(handler, root, recursive=False)
    sidecar_dir = os.path.dirname(os.path.join(root, *SIDECAR.split("/")))
    if os.path.isdir(sidecar_dir):
        observer.schedule(handler, sidecar_dir, recursive=False)
    observer.start()
    return observer
