"""The task force's desktop dashboard (/dashboard): the statistics API's figures for one unit and period.

    router.py       GET /dashboard (excluded from the OpenAPI contract); sign-in is app.signin's
    view.py         the dashboard's read use case: the statistics service's own functions
    board.py        PURE: the dashboard's figures, charts, links and date ranges
    charts.py       PURE: series → inline SVG strings (bars, weekly trend), every text escaped
    markdown.py     PURE: the bulletin's markdown → safe HTML (escape first, then a small subset)
"""
