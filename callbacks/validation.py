"""Every callback names only components that some page lays out: checked when the app starts.

Pages are rendered by the router, so no single layout holds every component; Dash's
``validation_layout`` is the union of the shell and every page, and ``check_ids`` refuses to
start an app whose callbacks name a component or property that union does not have.
"""

from __future__ import annotations

from dash import Dash

from callbacks.router import PAGES, render_page
from gridwatch.auth.policy import system
from gridwatch.service import DataSource
from layouts import shell


class UnknownComponent(RuntimeError):
    """A callback names a component ID that no page lays out."""


def validation_layout(source: DataSource):
    """The shell and every page the router renders (as an admin sees them), in one tree."""
    return shell.validation_layout([render_page(source, path, "", system())[0]
                                    for path in PAGES])


def laid_out(component) -> dict[str, object]:
    """Every component with an ID in a tree, by ID."""
    found, stack = {}, [component]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        if node is None or isinstance(node, (str, int, float, dict)):
            continue
        if getattr(node, "id", None) is not None:
            found[str(node.id)] = node
        stack.append(getattr(node, "children", None))
    return found


def _outputs(spec: str) -> list[tuple[str, str]]:
    """``"..a.b...c.d.."`` (or ``"a.b"``) → ``[("a", "b"), ("c", "d")]``."""
    parts = spec.strip(".").split("...") if spec.startswith("..") else [spec]
    # An output with allow_duplicate carries "@<hash>" after its property.
    return [tuple(part.split("@", 1)[0].rsplit(".", 1)) for part in parts]


def check_ids(app: Dash, layout) -> None:
    """Raise ``UnknownComponent`` when a callback of ``app`` names an ID, or a property of a
    component, that ``layout`` does not have."""
    components = laid_out(layout)
    problems = []
    for callback in app._callback_list:
        refs = _outputs(callback["output"]) + [
            (str(dep["id"]), dep["property"]) for dep in callback["inputs"] + callback["state"]]
        for cid, prop in refs:
            component = components.get(cid)
            if component is None:
                problems.append(f"{cid} (used as {cid}.{prop})")
            elif prop not in component.available_properties:
                problems.append(f"{cid}.{prop}: {type(component).__name__} has no such property")
    if problems:
        raise UnknownComponent("callbacks name components no page lays out: "
                               + "; ".join(sorted(set(problems))))
