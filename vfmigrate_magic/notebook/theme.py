"""Colours for HTML the notebook layer writes, taken from JupyterLab's theme variables so that
the same output reads in the light and the dark theme (with a fallback for pages outside
JupyterLab: GitHub's viewer, nbconvert's HTML).

Text keeps the theme's own colour on the theme's own background (its contrast is the theme's);
a migration's state is shown by a mark and a coloured bar at the row's left edge, never by a
tinted background under the text: JupyterLab's light tints (``--jp-success-color3``, ...) stay
light in the dark theme, where its text is light too.
"""

from __future__ import annotations

MARKS = {"applied": "✓", "pending": "·", "modified": "!", "missing": "?", "out-of-order": "!"}

STATE_COLOURS = {
    "applied": "var(--jp-success-color1, #388e3c)",
    "pending": "var(--jp-warn-color1, #f57c00)",
    "modified": "var(--jp-error-color1, #d32f2f)",
    "missing": "var(--jp-error-color1, #d32f2f)",
    "out-of-order": "var(--jp-error-color1, #d32f2f)",
}

# Red text that keeps 4.5:1 on the notebook's background in both themes (#d32f2f on white,
# #f44336 on #111).
ERROR_TEXT = "var(--jp-error-color1, #d32f2f)"
MUTED_TEXT = "var(--jp-content-font-color2, #666)"
BORDER = "var(--jp-border-color2, #e0e0e0)"


def state_bar(state: str) -> str:
    """CSS for a row's first cell: a bar in the colour of ``state`` (nothing for an unknown one)."""
    colour = STATE_COLOURS.get(state)
    return f"border-left: 4px solid {colour}" if colour else ""
