"""The canvas: node cards, edges, lanes, the view with its interactions, and the minimap."""
