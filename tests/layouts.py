"""Reading a page's layout (Dash components) in tests."""
from __future__ import annotations


def find(node, component_id):
    """The component with `component_id` in a layout tree, or None."""
    if getattr(node, "id", None) == component_id:
        return node
    children = getattr(node, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            found = find(child, component_id)
            if found is not None:
                return found
    return None
