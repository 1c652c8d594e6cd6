"""Cadres paired with enterprises (结对) and buildings with their 楼长 (楼长制): DESIGN §11."""
