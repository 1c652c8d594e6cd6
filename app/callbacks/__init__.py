"""Phone callbacks (回访) after an appeal is resolved."""
